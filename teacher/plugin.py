"""The pytest plugin of the grading process, which runs the tests and records what happened.

The grading process holds the teacher's files, never the submission's: with `worker` settings the
Recorder makes tests/probes.py send every call of the student's code to the submission's sandboxed
worker (teacher.remote.RemoteProbes) and gives the rng fixture the seed drawn for this grading.
run.py never imports this module: it reads its source once, at start, and sends it with
the run's settings through the child's stdin; the child's bootstrap (BOOTSTRAP below) sets the
resource limits, closes stdin, executes this source and calls pytest.main(args, plugins=[Recorder]).
No file of the plugin lies where the submission runs, and the key that signs the records never
appears in the child's argv, environment or files.

Each record is one line, `json([seq, kind, name, outcome, message]) TAB hmac-sha256(key, json)`,
written to an inherited file descriptor: kind is 'collect' (a test file is about to be imported),
'collected' (its outcome), 'item' (a test was collected), 'start' (a test is about to run), 'result'
(its outcome), 'note' (something the worker's side reported, in message), 'timing' (a TODO's time at
the course's shapes, measured in the worker after the tests: outcome 'timed' or 'over', seconds in
message), 'digest' (a probe's outputs as digests, for the similarity report:
teacher/similarity/behaviour.py) or 'finished'.
A per-test (and per-import) timer raises GradeTimeout in the running code.
"""
import hashlib
import hmac
import json
import os
import signal

import pytest

MESSAGE_CHARS = 1500   # a test's message in the record, at most


class GradeTimeout(BaseException):
    """Raised by the per-test timer inside the code that ran too long. A BaseException, so a student's
    `except Exception:` does not swallow it; the timer repeats every second in case a bare `except:` does."""


def _on_alarm(signum, frame):
    raise GradeTimeout('took longer than the per-test time limit (an infinite loop?)')


def _plain(message):
    """The message without the exception's name when that says nothing to a student."""
    for prefix in ('Failed: ', 'teacher.remote.SubmissionError: '):
        message = message[len(prefix):] if message.startswith(prefix) else message
    return message


class Recorder:
    """Writes signed records of collection and test outcomes; skips what the grader already knows."""

    def __init__(self, key, fd, timeout, skip=(), seed=0, worker=None, timing=None):
        self._sign = lambda text: hmac.new(bytes.fromhex(key), text.encode(), hashlib.sha256).hexdigest()
        self._fd, self._timeout, self._seq = fd, timeout, 0
        self._skip = set(skip)
        self._reports = []
        self._seed, self._worker, self._remote, self._timing = seed, worker, None, timing
        self._test = ''

    def pytest_configure(self, config):
        config.option.grade_seed = self._seed

    def pytest_sessionstart(self, session):
        """Route tests/probes.py's calls to the submission's worker (see remote.py)."""
        if self._worker is None:
            return
        import sys
        from teacher import remote, sandbox
        sys.path.insert(0, os.path.abspath('tests'))
        import probes
        settings = dict(self._worker)
        support = settings.pop('support')
        self._remote = remote.RemoteProbes(
            limits=sandbox.Limits(**settings.pop('limits')), support=support and sandbox.Support(**support),
            note=lambda text: self._write('note', message=text), **settings)
        from teacher.similarity import behaviour   # what each probe returned, as digests, for the similarity report
        probes.use(behaviour.recording(self._remote,
                                       lambda probe, text: self._write('digest', self._test, probe, text)))
        self._remote.start()

    def _write(self, kind, name='', outcome='', message=''):
        text = json.dumps([self._seq, kind, name, outcome, message[-MESSAGE_CHARS:]])
        os.write(self._fd, (text + '\t' + self._sign(text) + '\n').encode())
        self._seq += 1

    def _alarm(self, seconds):
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        is_module = isinstance(collector, pytest.Module)
        if is_module:
            self._write('collect', collector.nodeid)
            self._alarm(self._timeout)
        outcome = yield
        if is_module:
            signal.setitimer(signal.ITIMER_REAL, 0)
            report = outcome.get_result()
            self._write('collected', collector.nodeid, report.outcome,
                        report.longreprtext if report.failed else '')

    def pytest_collection_modifyitems(self, items):
        for item in items:
            self._write('item', item.nodeid)
        items[:] = [item for item in items if item.nodeid not in self._skip]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item):
        self._reports, self._test = [], item.nodeid
        self._write('start', item.nodeid)
        self._alarm(self._timeout)
        yield
        signal.setitimer(signal.ITIMER_REAL, 0)
        outcome, message = 'passed', ''
        for report in self._reports:
            if report.failed and outcome != 'failed':
                crash = getattr(report.longrepr, 'reprcrash', None)
                outcome, message = 'failed', _plain(crash.message if crash else str(report.longrepr))
            elif report.skipped and outcome == 'passed':
                outcome, message = 'skipped', str(report.longrepr)
        self._write('result', item.nodeid, outcome, message)

    def pytest_runtest_logreport(self, report):
        self._reports.append(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session):
        if self._remote is not None:
            if self._timing and not self._remote.broken:
                self._time_todos(**self._timing)
            self._remote.close()
        self._write('finished')

    def _time_todos(self, case, todos):
        """One 'timing' record per TODO: its time at the course's shapes, measured in the worker on inputs
        from the seed (tests/probe_timing.py); 'over' with the limit when it ran out of the per-test time."""
        for todo in todos:
            self._alarm(self._timeout)
            try:
                seconds = self._remote('todo_time', [{'case': case, 'todo': todo, 'seed': self._seed}])[0]['seconds']
                outcome, message = 'timed', repr(float(seconds))
            except GradeTimeout:
                outcome, message = 'over', repr(float(self._timeout))
            except Exception as error:   # a TODO not done or broken: the tests say so; no time
                outcome, message = 'failed', str(error)[:200]
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            self._write('timing', todo, outcome, message)


BOOTSTRAP = r'''
import json, os, resource, signal, sys
settings = json.loads(sys.stdin.readline())
for name, (soft, hard) in settings.pop("limits").items():
    resource.setrlimit(getattr(resource, name), (soft, hard))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
sys.stdin.close()
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
sys.path.append(settings.pop("grader"))   # the teacher's checkout, for teacher/: trusted
namespace = {"__name__": "teacher.plugin"}
exec(compile(settings.pop("plugin"), "teacher/plugin.py", "exec"), namespace)
plugin = namespace["Recorder"](settings.pop("key"), **settings.pop("recorder"))
args = settings.pop("args")
del settings, namespace
import pytest
sys.exit(pytest.main(args, plugins=[plugin]))
'''
