"""A class at a time, nothing lost: hand-ins graded in parallel, each result stored as soon as it is decided.

`grade_class` runs a job per hand-in (and one for the reference, the teacher's own files, unless the
gradebook has its result) on a pool of threads, each job one grading run (run.py). Its results are
scored and stored in the gradebook by the calling thread, one transaction each, the moment they are
known: a hand-in's row waits only for the reference, which says which tests exist. One line on stderr
(progress.StatusLine) says how many are graded of the total, which are being graded, and the time left.
Ctrl-C starts nothing new, finishes and stores the hand-ins being graded, then raises Stopped.
"""
import contextlib
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from formatting import plural
from progress import StatusLine, clock
from teacher.intake import submission_name


class Stopped(RuntimeError):
    """Ctrl-C: the hand-ins being graded were finished and stored; the others wait for --resume."""


def grade_class(book, sources, todo, job, decide, jobs, reference=None, stream=None):
    """Grade the hand-ins at the positions `todo` of `sources` (their paths) and store each result in `book`.

    job(position) -> result: one hand-in's run, in a pool thread (position None: the reference's);
    decide(position, result, reference) -> (row, findings, accuracies) of a hand-in, or, for None, the
    reference's record (JSON-able, with 'collected'); reference: that record when the gradebook has it.
    """
    progress, waiting, stopping = Progress(len(sources), len(sources) - len(todo), stream), [], False

    def tracked(position):
        with progress.grading(position, 'reference' if position is None else submission_name(sources[position])):
            return job(position)
    with ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(tracked, position): position for position in ([] if reference else [None]) + todo}
        pending = set(futures)
        while pending:
            try:
                done, pending = wait(pending, timeout=1, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                stopping, pending = True, {future for future in pending if not future.cancel()}
                progress.line.say(f'Ctrl-C: finishing {plural(len(pending), "hand-in")} being graded; '
                                  '--resume grades the rest')
                continue
            for future in done:
                if futures[future] is None:
                    reference = decide(None, future.result(), None)
                    book.record({'reference': reference})
                elif not future.cancelled():
                    waiting.append((futures[future], future.result()))
            for position, result in (waiting if reference else []):
                book.store(position, sources[position], *decide(position, result, reference))
                progress.decided(submission_name(sources[position]))
            progress.show(force=bool(reference and waiting))
            waiting = [] if reference else waiting
    progress.line.end()
    if stopping:
        raise Stopped(f'stopped: {len(book.decided())} of {len(sources)} hand-ins graded and stored in {book.path}')


class Progress:
    """One line: hand-ins graded of the total, the ones being graded (else the last graded), the time left; on a
    progress.StatusLine, rewritten in place on a terminal, one line per result in a pipe. Time left = the time
    per hand-in graded so far in this run × the hand-ins left, less the time since the last result (a resumed
    run counts only its own)."""

    def __init__(self, total, done, stream=None):
        self.line, self.total, self.done, self.fresh = StatusLine(stream or sys.stderr), total, done, 0
        self.start, self.last, self.last_time = time.monotonic(), '', time.monotonic()
        self.running, self.lock = {}, threading.Lock()   # the hand-ins being graded, by the pool's threads

    @contextlib.contextmanager
    def grading(self, key, name):
        """Within: the hand-in `name` is shown as being graded."""
        with self.lock:
            self.running[key] = name
        try:
            yield
        finally:
            with self.lock:
                self.running.pop(key)

    def decided(self, name):
        self.done, self.fresh, self.last, self.last_time = self.done + 1, self.fresh + 1, name, time.monotonic()

    def show(self, force=False):
        with self.lock:
            running = sorted(self.running.values())
        each, since = (self.last_time - self.start) / max(self.fresh, 1), time.monotonic() - self.last_time
        left = f'~{clock(max(0.0, each * (self.total - self.done) - since))} left' if self.fresh else 'time left: -'
        now = f'grading {", ".join(running)}' if running else f'last: {self.last or "-"}'
        self.line.show(f'teacher.grade: {self.done}/{self.total} graded | {now} | {left}', self.done, self.total,
                       force)
