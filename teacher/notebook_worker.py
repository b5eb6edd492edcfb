"""The submission's side of --rerun-notebooks: execute the handed-in notebook and send back what it printed.

rerun.py (the trusted side) starts this script inside the sandbox (sandbox.py), a second sandboxed
process beside the probe worker, in a read-only folder holding the release with the submitted case
files and the submitted notebook; `data/` is bound read-only elsewhere. The script copies the folder
to its scratch /tmp (the notebook may write files there), points `data` at the read-only data, and
runs the notebook with nbclient: a kernel of the same Python, reached over the loopback of the
sandbox's own network namespace, so nothing outside is reachable. Every cell runs in order, from
cleared outputs.

What goes back is plain JSON on the fd that was stdout: {"cells": [{"index": i, "outputs": [...]}],
"error": null or {"cell": i, "kind": ..., "message": ...}}, the text outputs only (streams, text/plain,
text/markdown, errors); past `cap` bytes of outputs the run stops at once with an error. The trusted
side reads the reply under its own cap, as data; what the kernel prints otherwise goes to stderr.
Everything here runs as the student's code may tamper with it: nothing in the reply decides a point.

    python -I -B notebook_worker.py NOTEBOOK DATA_DIR SECONDS CAP_BYTES
"""
import json
import os
import shutil
import sys
import tempfile
import time

TEXT_KINDS = ('text/plain', 'text/markdown')   # what a notebook prints that can be read back as text


class OutputOverCap(Exception):
    """The notebook printed more than its cap while it ran."""


def _text_output(out):
    """The output reduced to what can be read as text (figures and HTML dropped)."""
    kind = out.get('output_type')
    if kind == 'stream':
        return {'output_type': 'stream', 'name': out.get('name', ''), 'text': out.get('text', '')}
    if kind == 'error':
        return {'output_type': 'error', 'ename': out.get('ename', ''), 'evalue': out.get('evalue', '')}
    data = {key: value for key, value in (out.get('data') or {}).items() if key in TEXT_KINDS}
    return {'output_type': kind, 'data': data} if data else None


def _client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """A NotebookClient that counts the bytes of every output and stops past the cap."""
        cap, seen = 0, 0

        def output(self, outs, msg, display_id, cell_index):
            self.seen += len(json.dumps(msg.get('content', {}), ensure_ascii=False).encode())
            if self.seen > self.cap:
                raise OutputOverCap(f'the notebook printed more than {self.cap // 1_000_000} MB')
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


def _workspace(data_dir):
    """A writable copy of the read-only folder in the scratch space, with `data` pointing at data_dir."""
    work = os.path.join(tempfile.mkdtemp(prefix='nb-'), 'work')
    shutil.copytree(os.getcwd(), work, symlinks=False, ignore=shutil.ignore_patterns('data'))
    if os.path.isdir(data_dir):
        os.symlink(data_dir, os.path.join(work, 'data'))
    return work


def run(notebook, data_dir, seconds, cap):
    """The reply: the text outputs of each code cell and the error that stopped the run, if any."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    work = _workspace(data_dir)
    nb = nbformat.read(os.path.join(work, notebook), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == 'code':
            cell.outputs, cell.execution_count = [], None
    deadline = time.monotonic() + seconds   # for all the cells together: each gets what is left
    client = _client_class()(nb, timeout=seconds, kernel_name='python3', allow_errors=False,
                             timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
                             resources={'metadata': {'path': work}})
    client.cap, error = cap, None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError, OutputOverCap, RuntimeError) as problem:
        error = {'kind': type(problem).__name__, 'message': str(problem)[-2000:]}
    cells = [{'index': i, 'outputs': [t for t in map(_text_output, cell.get('outputs', [])) if t]}
             for i, cell in enumerate(nb.cells) if cell.cell_type == 'code']
    if error is not None:
        error['cell'] = next((c['index'] for c in cells if any(o['output_type'] == 'error' for o in c['outputs'])),
                             _last_started(nb))
    return {'cells': cells, 'error': error}


def _last_started(nb):
    """The index of the last code cell that was given an execution count (the one running when stopped)."""
    started = [i for i, cell in enumerate(nb.cells) if cell.cell_type == 'code' and cell.get('execution_count')]
    return started[-1] if started else -1


def main(notebook, data_dir, seconds, cap):
    reply = os.fdopen(os.dup(1), 'wb')
    os.dup2(2, 1)                       # what the kernel or the notebook prints cannot pass for the reply
    os.environ.update({'HOME': os.environ.get('TMPDIR', '/tmp'), 'JUPYTER_RUNTIME_DIR': tempfile.mkdtemp(),
                       'IPYTHONDIR': tempfile.mkdtemp(), 'JUPYTER_PLATFORM_DIRS': '1',
                       'MALLOC_ARENA_MAX': '2'})   # the kernel's threads: 0.83 against 1.36 GB of address space
    try:
        result = run(notebook, data_dir, float(seconds), int(cap))
    except Exception as problem:        # an unreadable notebook, a kernel that would not start
        result = {'cells': [], 'error': {'cell': -1, 'kind': type(problem).__name__, 'message': str(problem)[-2000:]}}
    reply.write(json.dumps(result).encode())
    reply.flush()
    os._exit(0)                         # the kernel, if still running, goes with the sandbox


if __name__ == '__main__':
    main(*sys.argv[1:5])
