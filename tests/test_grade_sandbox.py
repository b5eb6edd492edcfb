"""The grade a teacher can trust: hostile submissions graded together with healthy ones, in the sandbox.

Each submission is made in the test's temporary folder from the case-1 release (a cheat that should
earn what the release earns) or from the teacher's files (an attack on the machine that should be
stopped, said, and cost nothing to the others). Skipped where the sandbox cannot be built (no
bubblewrap, or not root); CI installs bubblewrap and runs as root.
"""
import os
import re
import socket

import pytest

from teacher import grade
from teacher import sandbox
from teacher.run import Limits
from teacher.handout import case_files, make_release
from test_grade import feedback, grade_folders, mutate, own_files

SUPPORT = sandbox.support()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (SUPPORT.usable and SUPPORT.root), reason='the sandbox needs bubblewrap and root: '
    + ('; '.join(SUPPORT.missing) or 'not root'))]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
LIMITS = Limits(wall=60, per_test=4, memory_mb=900, output_mb=2)
SLEEP = '987'   # seconds of the sleep a setsid grandchild is left in

FORGED_REPORT = '''import _pytest.reports as _r
_orig = _r.TestReport.__init__
def _init(self, *a, **k):
    _orig(self, *a, **k)
    if self.outcome == 'failed':
        self.outcome = 'passed'; self.longrepr = None
_r.TestReport.__init__ = _init
'''
PATCH_PLUGIN = '''try:
    import teacher.plugin as _plugin
    _plugin.Recorder.pytest_runtest_logreport = lambda self, report: None
except ImportError:
    pass
'''
RECORD_CHANNEL = '''import os as _os
for _fd in range(1, 20):
    try:
        _os.write(_fd, b'{"body": {"id": 1, "ok": {}}, "sizes": []}\\n')
    except OSError:
        pass
'''
PATCH_NUMPY = '''import numpy as _np
_np.allclose = lambda *a, **k: True
_np.isfinite = lambda *a, **k: True
'''
READ = '''_found = []
for _path in {paths!r}:
    try:
        with open(_path) as _file:
            _found.append(_file.read())
    except OSError:
        pass
'''
SETSID = f'''import os as _os
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execv('/usr/bin/sleep', ['sleep', '{SLEEP}'])
    _os._exit(0)
'''
FORK_BOMB = '''import os as _os
while True:
    try:
        _os.fork()
    except OSError:
        pass
'''


def with_prefix(files, name, prefix, suffix=''):
    return {**files, name: prefix + files[name] + suffix}


@pytest.fixture(scope='module')
def listeners(tmp_path_factory):
    """(TCP port on 127.0.0.1, path of a unix socket file, [both sockets]): listening, never accepting."""
    tcp = socket.socket()
    tcp.bind(('127.0.0.1', 0))
    tcp.listen()
    path = str(tmp_path_factory.mktemp('sock') / 's.sock')
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    unix.listen()
    yield tcp.getsockname()[1], path, [tcp, unix]
    tcp.close()
    unix.close()


@pytest.fixture(scope='module')
def graded(tmp_path_factory, listeners):
    root = tmp_path_factory.mktemp('hostile')
    make_release(str(root / 'case1'), 1)
    release = {name: (root / 'case1' / name).read_text() for name in case_files(1)}
    own, out = own_files(), root / 'out'
    port, unix_path, _ = listeners
    hidden = os.path.join(ROOT, 'teacher', 'tests_hidden', 'test_hidden_case1.py')
    leak = READ.format(paths=[hidden, os.path.join(ROOT, 'criterion.py'), '../teacher/tests_hidden/test_hidden_case1.py'])
    subs = {
        'own': own, 'release': release,
        'forged_report': with_prefix(release, 'criterion.py', FORGED_REPORT),
        'patch_plugin': with_prefix(release, 'criterion.py', PATCH_PLUGIN),
        'record_channel': with_prefix(release, 'criterion.py', RECORD_CHANNEL),
        'patch_numpy': with_prefix(release, 'criterion.py', PATCH_NUMPY),
        'read_solution': with_prefix(release, 'criterion.py', '', '\n' + leak + 'for _text in _found:\n'
                                     '    exec(_text)\n'),
        'read_hidden': with_prefix(release, 'criterion.py', leak + 'raise RuntimeError("LEAK " + " ".join(_found) '
                                   '+ " END")\n'),
        'write_checkout': with_prefix(own, 'criterion.py', f'open({os.path.join(ROOT, "intruder.txt")!r}, "w")\n'),
        'write_out': with_prefix(own, 'criterion.py', f'open({str(out / "intruder.txt")!r}, "w")\n'),
        'tcp': with_prefix(own, 'criterion.py', f'import socket\nsocket.create_connection(("127.0.0.1", {port}), 2)\n'),
        'unix': with_prefix(own, 'criterion.py', f'import socket\nsocket.socket(socket.AF_UNIX).connect({unix_path!r})\n'),
        'fork_bomb': with_prefix(own, 'optimizer.py', FORK_BOMB),
        'setsid': with_prefix(own, 'criterion.py', SETSID),
        'decay_on_bias': {**own, 'optimizer.py': own['optimizer.py'].replace(
            'grad = grad + decay * param', 'grad = grad + self.weight_decay * param').replace(
            'self.learning_rate * decay, out=extra', 'self.learning_rate * self.weight_decay, out=extra').replace(
            '        if decay:\n', '        if self.weight_decay:\n')},
        'nesterov_lost': {**own, 'optimizer.py': mutate(mutate(
            own['optimizer.py'], 'param += self.momentum * v - self.learning_rate * grad', 'param += v'),
            '        if not self.nesterov:\n            param += v', '        if True:\n            param += v')},
    }
    return grade_folders(root, 1, subs, LIMITS)


def test_healthy_submissions_are_unchanged_by_the_hostile_ones(graded):
    rows, problems, _ = graded
    assert problems == []
    assert rows['own']['score'] == rows['own']['max'] and rows['own']['flags'] == ''
    assert rows['release']['score'] == 0
    assert 'sandboxed (bubblewrap' in rows['own']['notes']


@pytest.mark.parametrize('name, said', [
    ('forged_report', 'the submission imported _pytest'), ('patch_plugin', 'tried to import teacher'),
    ('record_channel', 'forged?'), ('patch_numpy', "replaced numpy's allclose, isfinite")])
def test_a_forged_verdict_earns_no_more_than_the_release_and_is_flagged(graded, name, said):
    rows, _, out = graded
    assert rows[name]['score'] <= rows['release']['score'], feedback(out, name)
    assert 'suspicious' in rows[name]['flags'] and said in feedback(out, name), feedback(out, name)


def test_reading_the_solution_or_the_hidden_tests_gets_nothing(graded):
    rows, _, out = graded
    assert rows['read_solution']['score'] <= rows['release']['score'], feedback(out, 'read_solution')
    text = feedback(out, 'read_hidden')
    assert 'LEAK  END' in text and 'def test_' not in text, text


@pytest.mark.parametrize('name, path, said', [
    # a checkout under /tmp has its venv's folders inside the sandbox (root's, read-only for the worker)
    ('write_checkout', os.path.join(ROOT, 'intruder.txt'), 'No such file or directory|Permission denied'),
    ('write_out', None, 'No such file or directory'),
    ('tcp', None, 'ConnectionRefusedError'), ('unix', None, 'No such file or directory')])
def test_writes_and_connections_out_of_the_sandbox_are_stopped_and_said(graded, listeners, name, path, said):
    rows, _, out = graded
    text = feedback(out, name)
    assert f'importing criterion.py raised' in text and re.search(said, text), text
    assert rows[name]['score'] < rows[name]['max']
    assert not os.path.exists(path or out / 'intruder.txt')
    for listener in listeners[2]:
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_a_fork_bomb_is_stopped(graded):
    rows, _, out = graded
    assert 'timeout' in rows['fork_bomb']['flags'] and rows['fork_bomb']['score'] == 0, feedback(out, 'fork_bomb')
    assert not processes_of_the_workers()


def test_a_setsid_grandchild_is_ended_and_said(graded):
    rows, _, out = graded
    assert 'processes' in rows['setsid']['flags'], feedback(out, 'setsid')
    assert 'left 1 process(es) running' in feedback(out, 'setsid')
    assert rows['setsid']['score'] == rows['setsid']['max']
    assert not [pid for pid, command in processes() if command == ['sleep', SLEEP]]


@pytest.mark.parametrize('name, test, said', [
    ('decay_on_bias', 'tests/test_case1.py::test_sgd_with_weight_decay_spares_the_bias', 'weight decay on the bias'),
    ('nesterov_lost', 'tests/test_case1.py::test_sgd_nesterov_follows_the_lecture', "Nesterov's look-ahead lost")])
def test_a_planted_optimizer_mistake_loses_its_point_with_its_diagnosis(graded, name, test, said):
    rows, _, out = graded
    assert rows[name][test] == 0 and rows[name]['score'] == rows[name]['max'] - grade.POINTS[1][test]
    assert said in feedback(out, name), feedback(out, name)


def processes():
    """[(pid, argv)] of the machine's processes."""
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as handle:
                found.append((int(pid), handle.read().decode(errors='replace').split('\0')[:-1]))
        except OSError:
            pass
    return found


def processes_of_the_workers():
    uids = range(sandbox.FIRST_UID, sandbox.FIRST_UID + 64)
    return [pid for pid, _ in processes() if _uid(pid) in uids]


def _uid(pid):
    try:
        with open(f'/proc/{pid}/status') as handle:
            return next(int(line.split()[1]) for line in handle if line.startswith('Uid:'))
    except (OSError, StopIteration):
        return None
