"""--rerun-notebooks: the handed-in notebook run again in the sandbox on the hand-in's own code, and
whether the test accuracies it prints match the ones handed in.

A notebook handed in with its outputs shows results; nothing says they came from the code beside it.
Here the notebook runs again, from cleared outputs, cell after cell, in a sandbox of its own
(notebook_worker.py: a second sandboxed process beside the probe worker, started after the tests,
in the submission's slot: its uid, a cgroup, no network, the scratch /tmp) on the release's files
with the submitted case files in place and `data/` read-only. The course's runs are seeded, so the
same code prints the same accuracies: a cell whose printed test accuracies differ from the hand-in's
by more than TOLERANCE is a result that does not come from the code handed in ('results-differ').
A notebook that fails to run again (a cell raises, the kernel dies, the time limit or the output cap
is reached) gives 'error'. Both are findings, never points.

What comes back from the sandbox is read here as plain JSON under a cap (never unpickled, never
rendered) and only its text outputs are looked at (teacher.rules.notebook_accuracies). It is as
trustworthy as the code that ran: a notebook can print any number it likes, so a match says only that
the outputs handed in are the ones its code prints, not that the code is right (the tests say that).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace

from teacher import sandbox
from teacher.findings import Finding
from teacher.rules import NotebookError, notebook_accuracies, read_notebook
from teacher.run import write_readable

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'notebook_worker.py')
INSIDE = '/grader/grade_notebook.py'   # where the sandbox sees it
TOLERANCE = 0.005          # printed test accuracies that differ by more were not printed by this code
OUTPUT_MB = 32             # what the notebook may print while it runs, figures included; then it is stopped
SCRATCH_BYTES = 256 * 1024 * 1024   # its /tmp: a copy of the release's code and what the notebook writes
START_SECONDS = 30         # the kernel's start and the copy, on top of the notebook's own time
REPLY_SLACK = 1_000_000    # the reply holds at most the outputs (under OUTPUT_MB) and its JSON around them
FONTS = '/etc/fonts'       # matplotlib's font configuration, read-only
SAFE_NAME = re.compile(r'[\w.-]{1,100}\.ipynb')


SECONDS = {1: 120.0, 2: 1200.0, 3: 1200.0}   # by case: ~20x runner.ipynb's 6 s; ~4x mlp.ipynb's and convnet.ipynb's


@dataclass
class NotebookLimits:
    """Per notebook run: wall-clock seconds for all its cells (None: SECONDS of the case), and the address
    space of each process. The kernel with the course's data loaded takes about 0.85 GB, the ConvNet's
    1.2 GB resident, so the default is above the worker's 1 GB."""
    seconds: float = None
    memory_mb: int = 4096


@dataclass
class Rerun:
    """What the run in the sandbox gave: {cell index: text outputs}, the error that stopped it (a dict
    with 'cell', 'kind', 'message'; None when every cell ran), and its wall-clock time."""
    outputs: dict
    error: dict
    seconds: float


def check(template, path, data, limits, notebook_limits, work, slot=0, support=None, submitted=None):
    """Findings of running the notebook `path` (its place in the hand-in) of bytes `data` again on the
    release with `submitted` ({case file: bytes}) in place; limits: the worker's (output and processes)."""
    notebook_limits = replace(notebook_limits, seconds=notebook_limits.seconds or SECONDS[template.case])
    rerun = execute(template, submitted or {}, path, data, limits, notebook_limits, work, slot, support)
    try:
        cells = read_notebook(data)['cells']
    except NotebookError:
        return []   # an unreadable notebook is the notebook rule's finding; it ran (or not) all the same
    return compare(path, cells, rerun, notebook_limits)


def execute(template, submitted, path, data, limits, notebook_limits, work, slot, support):
    """Run the notebook in a fresh folder under `work`; the Rerun."""
    home = tempfile.mkdtemp(prefix='nb-', dir=work)
    name = os.path.basename(path) if SAFE_NAME.fullmatch(os.path.basename(path)) else 'notebook.ipynb'
    try:
        folder = os.path.join(home, 'sub')
        write_readable(folder, {**template.release_files(), **submitted, name: data})
        os.chmod(home, 0o711)
        start = time.monotonic()
        reply, ending = _run(folder, name, template.data_dir, limits, notebook_limits, slot, support, home)
        seconds = time.monotonic() - start
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return _read_reply(reply, ending, seconds)


def _run(folder, name, data_dir, limits, notebook_limits, slot, support, home):
    """(the reply's bytes, '' or how the run ended) of the notebook worker, in the sandbox when there is one."""
    cap, seconds = OUTPUT_MB * 1_000_000, notebook_limits.seconds
    caps = sandbox.Limits(memory_mb=notebook_limits.memory_mb, cpu_seconds=int(seconds) + START_SECONDS,
                          output_mb=limits.output_mb)
    python = [sys.executable, '-I', '-B']
    if support is None:
        scratch = os.path.join(home, 'tmp')
        os.mkdir(scratch)
        argv, env = python + [WORKER, name, data_dir, str(seconds), str(cap)], {'TMPDIR': scratch}
    else:
        binds = [(WORKER, INSIDE), (data_dir, '/data')] + [(FONTS, FONTS)] * os.path.isdir(FONTS)
        argv, env = sandbox.command(slot, folder, python + [INSIDE, name, '/data', str(seconds), str(cap)], caps,
                                    support, binds=binds, scratch_bytes=SCRATCH_BYTES), {}
    cgroup = sandbox.Cgroup(support.cgroup if support else '')
    with open(os.path.join(home, 'log'), 'wb') as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, cwd=folder,
                                   env={**sandbox.plain_environment(), **env},
                                   preexec_fn=lambda: _prepare(cgroup, None if support else caps))
    got = []
    reader = threading.Thread(target=lambda: got.append(process.stdout.read(cap + REPLY_SLACK + 1)), daemon=True)
    reader.start()
    try:
        process.wait(timeout=seconds + START_SECONDS)
        ending = '' if process.returncode == 0 else f'ended with exit code {process.returncode}'
    except subprocess.TimeoutExpired:
        ending = f'was stopped after {seconds:.0f} s (the notebook time limit)'
    finally:
        process.kill()
        cgroup.kill()
        process.wait()
    reader.join(timeout=5)
    process.stdout.close()
    return (got[0] if got else b''), ending


def _prepare(cgroup, limits):
    """In the child before exec: join the cgroup; without the sandbox, set the limits here."""
    cgroup.join()
    if limits is not None:
        sandbox.set_limits(limits)


def _read_reply(reply, ending, seconds):
    """The Rerun from the reply's bytes: plain JSON, capped; anything else is said as an error."""
    if len(reply) > OUTPUT_MB * 1_000_000 + REPLY_SLACK:
        return Rerun({}, {'cell': -1, 'kind': 'reply', 'message': f'it sent back more than {OUTPUT_MB} MB'}, seconds)
    try:
        body = json.loads(reply.decode('utf-8'))
        cells, error = body['cells'], body['error']
        outputs = {cell['index']: cell['outputs'] for cell in cells
                   if isinstance(cell['index'], int) and isinstance(cell['outputs'], list)}
    except (ValueError, KeyError, TypeError, RecursionError):   # RecursionError: JSON nested past the parser
        why = ending or 'sent back something that is not its reply'
        return Rerun({}, {'cell': -1, 'kind': 'reply', 'message': f'the notebook\'s run {why}'}, seconds)
    if ending and error is None:
        error = {'cell': -1, 'kind': 'reply', 'message': f'the notebook\'s run {ending}'}
    if error is not None and not (isinstance(error, dict) and isinstance(error.get('cell'), int)):
        error = {'cell': -1, 'kind': 'reply', 'message': 'the notebook\'s run reported an error it did not name'}
    return Rerun(outputs, error, seconds)


def compare(path, cells, rerun, notebook_limits):
    """[Finding]: 'error' when the run again stopped (unless the hand-in's own outputs end in an error at
    that cell, which the notebook rule reports), 'results-differ' for each cell before that point whose
    printed test accuracies differ from the hand-in's (the cell's number, 1-based, as its line)."""
    stop = rerun.error['cell'] if rerun.error else len(cells)
    reproduced = 0 <= stop < len(cells) and _has_error(cells[stop])   # the notebook rule reports that one
    findings = [] if rerun.error is None or reproduced else [_error_finding(path, cells, rerun, notebook_limits)]
    for index, cell in enumerate(cells[:stop] if stop >= 0 else []):
        if not isinstance(cell, dict) or cell.get('cell_type') != 'code':
            continue
        handed = _accuracies(cell.get('outputs'))
        again = _accuracies(rerun.outputs.get(index, []))
        if handed and (len(handed) != len(again) or any(abs(a - b) > TOLERANCE for a, b in zip(handed, again))):
            findings.append(Finding('notebook', 'results-differ', path, index + 1,
                                    f'cell {index + 1} shows test accuracy {_listed(handed)} in the hand-in, but run '
                                    f'again on the handed-in code it printed {_listed(again) or "none"}'))
    return findings


def _has_error(cell):
    outputs = cell.get('outputs') if isinstance(cell, dict) else None
    return isinstance(outputs, list) and any(isinstance(o, dict) and o.get('output_type') == 'error' for o in outputs)


def _accuracies(outputs):
    """The test accuracies a cell's outputs print (the notebook rule's reader, on a notebook of that one cell)."""
    if not isinstance(outputs, list):
        return []
    return notebook_accuracies({'cells': [{'cell_type': 'code', 'source': '', 'metadata': {}, 'outputs': outputs}]})


def _error_finding(path, cells, rerun, notebook_limits):
    error, index = rerun.error, rerun.error['cell']
    where = f'cell {index + 1}' if 0 <= index < len(cells) else 'the notebook'
    raised = [o for o in rerun.outputs.get(index, []) if isinstance(o, dict) and o.get('output_type') == 'error']
    if error.get('kind') == 'CellTimeoutError':   # (the kernel, interrupted, may add a KeyboardInterrupt)
        what = f'{where} was stopped at the time limit of {notebook_limits.seconds:.0f} s (--notebook-time-limit)'
    elif error.get('kind') == 'OutputOverCap':
        what = f'{where} printed more than {OUTPUT_MB} MB of outputs and was stopped'
    elif raised:
        what = f'{where} raised {str(raised[0].get("ename"))[:100]}: {str(raised[0].get("evalue"))[:300]}'
    elif error.get('kind') == 'DeadKernelError':
        what = f'the kernel died in {where} (out of memory above {notebook_limits.memory_mb} MB, or killed)'
    else:
        what = f'{where}: {str(error.get("message"))[:300]}'
    return Finding('notebook', 'error', path, max(index + 1, 0),
                   f'run again in the sandbox on the handed-in code, {what}')


def _listed(values):
    return ', '.join(f'{value:.4f}' for value in values)
