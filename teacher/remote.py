"""The trusted side's end of a submission's worker: probes.run sent to the sandbox, the outputs back.

plugin.py's Recorder installs a RemoteProbes as tests/probes.py's runner in the grading process,
which holds the teacher's files, not the submission's: every call of the student's code in a test
becomes a request to the worker (worker.py), started in the sandbox (sandbox.py) at the first
call and again after it died. What comes back is only data, checked against the wire format's caps;
the test compares it with the reference's numbers in this process. A worker that hangs is stopped by
the test's timer (GradeTimeout, raised here while waiting); one whose imports hang or crash is not
started again: every later call fails at once with the same sentence.
"""
import os
import signal
import subprocess
import sys

from teacher import sandbox
from teacher.worker import ProtocolError, read_message, write_message

MAX_REPLY_BYTES = 64 * 1024 * 1024
MAX_STARTS = 12


class SubmissionError(Exception):
    """The student's code raised, crashed, hung, or answered with something that is not the wire format."""


class RemoteProbes:
    """probes.run_many(name, [inputs, ...]) answered by the worker of one submission (see the module's docstring).

    folder: the read-only copy of the release with the submitted files; support: sandbox.Support, or
    None for --no-sandbox (a plain child process, with the limits); note(text): reports an event.
    """

    def __init__(self, folder, case_files, slot, limits, support, output_path, note):
        self.folder, self.case_files, self.slot = folder, case_files, slot
        self.limits, self.support, self.output_path, self.note = limits, support, output_path, note
        self.process, self.cgroup, self.starts, self.broken, self.notes = None, None, 0, '', set()
        self.calls, self.ready = 0, False

    def __call__(self, name, inputs):
        if self.broken:
            raise SubmissionError(self.broken)
        if self.process is None:
            self.start()
        if not self.ready:
            self._handshake()
        self.calls += 1
        try:
            write_message(self.process.stdin, {'id': self.calls, 'probe': name, 'inputs': inputs})
        except OSError:
            pass                     # it has ended: reading its reply says how
        try:
            reply = self._reply()
        except BaseException:        # a timeout while waiting, or the worker died: it starts anew
            self.close(at_once=True)
            raise
        if reply.get('id') != self.calls:
            self.note('a reply came that answers no request of the grader (forged?): the worker was restarted')
            self.close(at_once=True)
            raise SubmissionError('the reply to this call answered another request (forged?)')
        if 'ok' in reply and isinstance(reply['ok'], list) and len(reply['ok']) == len(inputs):
            return reply['ok']
        if 'error' in reply and isinstance(reply['error'], list) and len(reply['error']) == 3:
            kind, message, where = (str(part) for part in reply['error'])
            at = f' (at {where})' if where else ''
            if kind == 'NotImplementedError':
                raise NotImplementedError(message + at)
            raise SubmissionError(f'your code raised {kind}: {message}{at}')
        self.close(at_once=True)
        raise SubmissionError('the worker answered with something that is not a reply (forged?)')

    def _argv(self):
        python = [sys.executable, '-I', '-B']
        if self.support is None:
            return python + [sandbox.WORKER, *self.case_files]
        return sandbox.command(self.slot, self.folder, python + ['/grader/grade_worker.py', *self.case_files],
                               self.limits, self.support)

    def start(self):
        """Start the worker without waiting for it (its imports overlap the tests' start)."""
        self.starts += 1
        if self.starts > MAX_STARTS:
            self.broken = f'the worker running your code was started {MAX_STARTS} times; no more'
            raise SubmissionError(self.broken)
        self.cgroup = sandbox.Cgroup(self.support.cgroup if self.support else '')
        with open(self.output_path, 'ab') as output:
            self.process = subprocess.Popen(self._argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=output, cwd=self.folder, env=sandbox.plain_environment(),
                                            preexec_fn=self._prepare)
        self.ready = False

    def _handshake(self):
        """Wait for the worker's ready message (within the test's timer): it has imported the files."""
        try:
            reply = self._reply()
        except BaseException as error:
            self.close(at_once=True)
            why = 'took longer than the per-test limit' if type(error).__name__ == 'GradeTimeout' else str(error)
            self.broken = f'importing your files failed: {why}'
            raise SubmissionError(self.broken) from None
        errors = reply.get('errors') or {}
        for name, error in (errors.items() if isinstance(errors, dict) else []):
            kind, message, where = (list(map(str, error)) + ['', '', ''])[:3] if isinstance(error, list) else ('', '', '')
            self.note(f'importing {name} raised {kind}: {message}' + (f' (at {where})' if where else ''))
        self.ready = True

    def _prepare(self):
        """In the child before exec: join the cgroup; without the sandbox, set the limits here."""
        self.cgroup.join()
        if self.support is None:
            sandbox.set_limits(self.limits)

    def _reply(self):
        """The worker's next message; its notes are passed on once each."""
        try:
            reply = read_message(self.process.stdout, MAX_REPLY_BYTES)
        except EOFError:
            raise SubmissionError(f'the process running your code {self._ending()}') from None
        except ProtocolError as error:
            self.note(f'the worker\'s reply was not the wire format (forged?): {error}')
            raise SubmissionError(f'the reply to this call was not the wire format: {error}') from None
        if not isinstance(reply, dict):
            raise SubmissionError('the reply to this call was not the wire format')
        for text in reply.get('notes') or reply.get('ready') or []:
            if str(text) not in self.notes:
                self.notes.add(str(text))
                self.note(str(text)[:300])
        return reply

    def _ending(self):
        code = self.process.wait()
        if code == -25 or code == 128 + 25:
            return f'was killed: File too large (more than {self.limits.output_mb} MB printed or written)'
        if code < 0 or code > 128:
            number = -code if code < 0 else code - 128
            return {9: f'was killed (signal 9: out of memory above {self.limits.memory_mb} MB, or the CPU-time limit)',
                    24: 'was killed for using more CPU time than the limit allows',
                    11: 'crashed (segmentation fault)'}.get(number, f'was killed by signal {number}')
        return f'ended (exit code {code})'

    def close(self, at_once=False):
        """End the worker and everything it started (at_once: without waiting for it to end by itself);
        say if it had left processes running. The test's timer waits until this is done."""
        if self.process is None:
            return
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            left = self._leftovers()
            if left:
                self.note(f'your code left {left} process(es) running (setsid or a fork?): they were killed')
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=0 if at_once else 2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.cgroup.kill()
            self.process = None
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _leftovers(self):
        """Processes in the worker's cgroup beyond bubblewrap's two and the worker (PID namespace 1 and 2)."""
        count = 0
        for pid in self.cgroup.processes():
            if pid == self.process.pid:
                continue
            try:
                with open(f'/proc/{pid}/status') as handle:
                    inner = [line.split()[-1] for line in handle if line.startswith('NSpid:')]
            except OSError:
                continue
            count += bool(inner) and inner[0] not in ('1', '2')
        return count
