"""Running one submission's tests, inside limits, and reading back what happened.

`Template` holds the release of a case with the hidden tests, in memory, made once. `run_submission`
writes two folders: the grading folder, the release with the hidden tests and the teacher's own case
files, where pytest runs in a child process (see plugin.BOOTSTRAP) with a memory, CPU-time and
file-size limit, a per-test timer and a wall-clock budget; and the worker's folder, the release's
modules with the submitted case files and tests/probes.py, which the sandboxed worker
(worker.py, sandbox.py) sees read-only. The grading process never imports the submission: the
tests reach it through probes.run, answered by the worker (remote.py). Should the grading process
die or hang all the same, the test (or test file) it was running is noted as the cause and pytest runs
again without it and without the tests already recorded, until the session finishes or the budget is
spent (records.py checks and reads back what each attempt recorded). Afterwards the grading folder is
compared with the template (a changed file there would be a fault of the grader's, which no submission
can reach: it is flagged `tampered` and scores nothing).
"""
import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from teacher import plugin, sandbox
from teacher.handout import case_files, case_regions, make_release
from teacher.records import take, verified

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the teacher's checkout
HIDDEN = 'teacher/tests_hidden'   # the hidden tests, at the same place in the checkout and the grading folder
MAX_ATTEMPTS = 12
WORKER_TESTS = ('tests/probes.py', 'tests/probe_timing.py')   # the files of tests/ the worker needs


@dataclass
class Limits:
    wall: float = 120.0        # seconds for the whole submission, all attempts together
    per_test: float = 10.0     # seconds for one test or one test file's import
    memory_mb: int = 1024      # address space of the process
    output_mb: int = 8         # any one file it writes (its printed output included)


@dataclass
class Run:
    """What happened to one submission: outcomes by test id, events, tampering."""
    outcomes: dict = field(default_factory=dict)   # nodeid -> (outcome, message)
    collected: list = field(default_factory=list)  # nodeids, in order
    broken_files: dict = field(default_factory=dict)   # test file -> why it could not be collected
    events: list = field(default_factory=list)
    tampered: list = field(default_factory=list)
    notes: list = field(default_factory=list)       # what the worker's side reported, each once
    suspect: bool = False     # records that fail their signature or sequence: maybe another's doing
    output_tail: str = ''
    seconds: float = 0.0      # wall-clock time of the run, all attempts
    findings: list = field(default_factory=list)   # findings.Finding the run itself found (timings, a rerun)
    timings: dict = field(default_factory=dict)    # TODO -> [median s of one call, True: a lower bound] (timing.py)
    digests: list = field(default_factory=list)    # (test, probe, its outputs' digests): similarity/behaviour.py


class Template:
    """The release of `case` plus teacher/tests_hidden/, as {relative path: bytes}, and its test files."""

    def __init__(self, case, source_dir=ROOT, work=None):
        self.case, self.case_files = case, case_files(case, source_dir)
        self.todos = [(file, function) for file, function, *_ in case_regions(case, source_dir)[0]]
        folder = tempfile.mkdtemp(prefix='release-', dir=work)
        try:
            make_release(os.path.join(folder, 'r'), case, source_dir=source_dir)
            shutil.copytree(os.path.join(source_dir, HIDDEN), os.path.join(folder, 'r', HIDDEN),
                            ignore=shutil.ignore_patterns('__pycache__'))
            self.files = _read_tree(os.path.join(folder, 'r'))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.solution = {rel: _read_bytes(os.path.join(source_dir, rel)) for rel in self.case_files}
        self.data_dir = os.path.join(source_dir, 'data')   # the release's data/ is a copy of it

    def release_files(self):
        """The release's own files, without data/ (bound read-only where needed) and the hidden tests."""
        return {rel: data for rel, data in self.files.items() if not rel.startswith(('data/', HIDDEN + '/'))}

    def write(self, folder, submitted):
        """The release in `folder` with the submitted case files in place of the release's."""
        for rel, data in {**self.files, **submitted}.items():
            path = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'wb') as handle:
                handle.write(data)
        os.makedirs(os.path.join(folder, 'tmp'))

    def write_worker(self, folder, submitted):
        """The worker's folder: the release's top-level modules with the submitted case files in place,
        and tests/probes.py; readable by the worker's uid."""
        write_readable(folder, {rel: data for rel, data in {**self.files, **submitted}.items()
                                if '/' not in rel and rel.endswith('.py') or rel in WORKER_TESTS})

    def changes(self, folder, submitted):
        """Release files changed or deleted in `folder`, and new files outside tmp/."""
        expected = {rel: hashlib.sha256(data).digest() for rel, data in {**self.files, **submitted}.items()}
        found = {rel: hashlib.sha256(data).digest() for rel, data in _read_tree(folder, skip='tmp').items()}
        changed = [f'{rel} was changed' for rel in expected if rel in found and found[rel] != expected[rel]
                   and rel not in submitted]
        deleted = [f'{rel} was deleted' for rel in expected if rel not in found and rel not in submitted]
        new = [f'{rel} was created' for rel in found if rel not in expected]
        return sorted(changed + deleted + new)


def write_readable(folder, files):
    """{relative path: bytes} written under `folder`, readable by every uid (a sandboxed worker's)."""
    for rel, data in files.items():
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(path, 'wb') as handle:
            handle.write(data)
        os.chmod(path, 0o644)
    for top, _, _ in os.walk(folder):
        os.chmod(top, 0o755)


def _read_tree(root, skip=None):
    files = {}
    for folder, dirs, names in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        dirs[:] = [d for d in dirs if not (rel_folder == '.' and d == skip)]
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.islink(path) and os.path.isfile(path):
                with open(path, 'rb') as handle:
                    files[os.path.relpath(path, root).replace(os.sep, '/')] = handle.read()
    return files


def run_submission(template, submitted, test_files, limits, work, slot=0, support=None, seed=0):
    """Run `test_files` on the release against `submitted` ({case file: bytes}) in fresh folders under
    `work`: slot is the parallel slot (the worker's uid), support the sandbox's (None: no sandbox)."""
    home = tempfile.mkdtemp(prefix='sub-', dir=work)
    grading, worker = os.path.join(home, secrets.token_hex(8)), os.path.join(home, 'worker')
    os.makedirs(grading)
    template.write(grading, template.solution)
    template.write_worker(worker, submitted)
    os.chmod(home, 0o711)
    timing = {'case': template.case, 'todos': [function for _, function in template.todos]}
    settings = {'seed': seed, 'timing': timing, 'worker': {
        'folder': worker, 'case_files': sorted(submitted), 'slot': slot, 'output_path': os.path.join(home, 'worker-output'),
        'support': support and dataclasses.asdict(support),
        'limits': {'memory_mb': limits.memory_mb, 'cpu_seconds': int(limits.wall) + 1, 'output_mb': limits.output_mb}}}
    start = time.monotonic()
    run, deadline = Run(), start + limits.wall
    skip, ignore = set(), set()
    try:
        for _ in range(MAX_ATTEMPTS):
            left = deadline - time.monotonic()
            if left <= 1:
                run.events.append(f'the time limit of {limits.wall:.0f} s for the whole submission was reached')
                break
            if set(test_files) <= ignore or _attempt(grading, home, test_files, limits, left, skip, ignore, run,
                                                     settings):
                break
        run.tampered = template.changes(grading, template.solution)
        run.output_tail = (_tail(os.path.join(home, 'output')) + '\n' + _tail(settings['worker']['output_path'])).strip()
        run.seconds = time.monotonic() - start
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return run


def _attempt(sandbox, home, test_files, limits, seconds, skip, ignore, run, worker_settings):
    """One pytest process; True when its session finished. Adds what it recorded to `run`."""
    key = secrets.token_hex(32)
    results_path, output_path = os.path.join(home, 'results'), os.path.join(home, 'output')
    results = os.open(results_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    for_child = os.open(results_path, os.O_WRONLY | os.O_APPEND)   # it can add records, not rewrite them
    settings = {'limits': _rlimits(limits, seconds), 'plugin': _read_bytes(plugin.__file__).decode('utf-8'),
                'key': key, 'grader': ROOT,
                'recorder': {'fd': for_child, 'timeout': limits.per_test, 'skip': sorted(skip), **worker_settings},
                'args': ['-c', 'pytest.ini', '--rootdir', '.', '-p', 'no:cacheprovider', '-q', '-o', 'addopts=',
                         '--continue-on-collection-errors', '--show-capture=no', '--tb=short',
                         '--basetemp', os.path.join('tmp', 'pytest')] + [f for f in test_files if f not in ignore]}
    with open(output_path, 'wb') as output:
        child = subprocess.Popen([sys.executable, '-I', '-B', '-c', plugin.BOOTSTRAP], cwd=sandbox,
                                 env=_environment(sandbox), stdin=subprocess.PIPE, stdout=output,
                                 stderr=subprocess.STDOUT, pass_fds=(for_child,), start_new_session=True)
        os.close(for_child)
        ending = _wait(child, json.dumps(settings) + '\n', seconds, limits)
    try:
        os.lseek(results, 0, os.SEEK_SET)
        records = verified(os.read(results, 4_000_000), key, run)
    finally:
        os.close(results)
    where = os.path.realpath(sandbox) + os.sep   # messages name the student's files as they know them
    records = [[field.replace(where, '').replace('/sub/', '') for field in record] for record in records]
    return take(records, ending, skip, ignore, run)


def _rlimits(limits, seconds):
    megabyte = 1024 * 1024
    return {'RLIMIT_AS': (limits.memory_mb * megabyte,) * 2, 'RLIMIT_CPU': (int(seconds) + 1, int(seconds) + 2),
            'RLIMIT_FSIZE': (limits.output_mb * megabyte,) * 2, 'RLIMIT_CORE': (0, 0)}


def _environment(sandbox):
    scratch = os.path.join(sandbox, 'tmp')
    return {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'HOME': scratch, 'TMPDIR': scratch,
            'MPLCONFIGDIR': scratch, 'MPLBACKEND': 'Agg', 'LANG': 'C.UTF-8', 'OPENBLAS_NUM_THREADS': '1',
            'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1',
            'PYTEST_DISABLE_PLUGIN_AUTOLOAD': '1'}   # the installed pytest plugins: a second of start, no use here


def _wait(child, settings, seconds, limits):
    """How the child ended: '' when it exited by itself after pytest, else a sentence."""
    try:
        child.stdin.write(settings.encode())
        child.stdin.close()
    except BrokenPipeError:
        pass
    try:
        code = child.wait(timeout=seconds)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    try:
        os.killpg(child.pid, 9)     # the child and anything it started in its session
    except ProcessLookupError:
        pass
    sandbox.sweep(child.pid)        # a worker's cgroup the child had no time to end
    if timed_out:
        child.wait()
        return f'was stopped after {seconds:.0f} s: the time limit for the whole submission'
    if code < 0:
        return _signal_text(-code, limits)
    return f'ended the process (exit code {code})'


def _signal_text(number, limits):
    names = {9: f'was killed (signal 9: out of memory above {limits.memory_mb} MB, or the CPU-time limit)',
             24: 'was killed for using more CPU time than the limit allows',
             11: 'crashed (segmentation fault)', 6: 'aborted (signal 6)'}
    return names.get(number, f'was killed by signal {number}')


def _tail(path, size=2000):
    if not os.path.exists(path):
        return ''
    with open(path, 'rb') as handle:
        handle.seek(max(0, os.path.getsize(path) - size))
        return handle.read().decode('utf-8', 'replace')


def _read_bytes(path):
    with open(path, 'rb') as file:
        return file.read()
