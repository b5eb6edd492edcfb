"""The gradebook: DIR/gradebook.db, where a grading run keeps what it decided, one hand-in at a time.

SQLite from the standard library (nbgrader keeps its gradebook.db the same way). The table `run` holds
what makes the run what it is, recorded when it starts: the case, the seed of the tests' inputs, the
hand-ins in their order, the limits, how the code ran (`sandbox`: sandboxed or not), a fingerprint of the teacher's
files, the language and rule points of the outputs, and the reference's result (the teacher's own
files: which tests exist). The table `results` holds each hand-in's scored row, its findings and its
notebook's printed accuracies, committed in its own transaction as soon as it is decided. The journal is
a write-ahead log with synchronous=FULL: a commit is on the disk before the next hand-in is stored, so a
kill -9 or a power cut loses at most the hand-ins being graded at that moment, and `--resume` grades
only those that have no row. grades.csv, rules.csv and the feedback files are written from here.
"""
import json
import os
import secrets
import sqlite3
from dataclasses import asdict

from teacher.findings import Finding
from teacher.intake import submission_name

NAME = 'gradebook.db'
VERSION = 1   # of the tables' layout
IDENTITY = ('case', 'submissions', 'limits', 'sandbox', 'teacher files', 'rerun notebooks')   # a resume matches them
SCHEMA = '''
CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    position INTEGER PRIMARY KEY,   -- the hand-in's place in the run's list, from 0
    source TEXT NOT NULL,           -- its path as recorded
    row TEXT NOT NULL,              -- JSON: the scored row (points per test, score, max, flags, feedback)
    findings TEXT NOT NULL,         -- JSON: [{rule, finding, file, line, detail}]
    accuracies TEXT NOT NULL,       -- JSON: the test accuracies its notebook printed
    decided TEXT NOT NULL DEFAULT (datetime('now'))
);
'''


class GradebookError(ValueError):
    """The gradebook does not fit the command: none to resume, one already there, another run recorded."""


class Gradebook:
    """DIR/gradebook.db, opened for one grading run; use in a `with` block (it closes the database)."""

    def __init__(self, out):
        self.path = os.path.join(out, NAME)
        self.exists = os.path.exists(self.path)
        os.makedirs(out, exist_ok=True)
        self.db = sqlite3.connect(self.path)   # a transaction begins at each write; `with self.db` commits it
        try:
            self.db.execute('PRAGMA journal_mode=WAL')
            self.db.execute('PRAGMA synchronous=FULL')
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise GradebookError(f'{self.path}: not a gradebook this grader can read ({error})') from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.db.close()

    # ------------------------------------------------------------ the run

    def recorded(self):
        """{key: value} of the recorded run ({} when none was recorded)."""
        return {key: json.loads(value) for key, value in self.db.execute('SELECT key, value FROM run')}

    def record(self, values):
        """Record (or replace) the run's keys of {key: value (JSON-able)}, in one transaction."""
        with self.db:
            self.db.executemany('INSERT OR REPLACE INTO run VALUES (?, ?)',
                                [(key, json.dumps(value)) for key, value in values.items()])

    def open_run(self, mode, identity, seed=None, outputs=None):
        """The run's record: made for mode 'new' (seed None: drawn now), checked against `identity` for
        'resume' and 'only'; `outputs` ({'lang', 'rule points'}) recorded where not None."""
        recorded = self.recorded()
        if mode == 'new' and recorded:
            raise GradebookError(f'{self.path} holds a grading run already: --resume finishes it, --only NAME '
                                 'grades one hand-in again; or choose another --out')
        if mode != 'new' and not recorded:
            raise GradebookError(f'{self.path}: no grading run is recorded there, so there is nothing to '
                                 f'{"resume" if mode == "resume" else "grade again"}: grade the class first')
        if mode == 'new':
            self.record({'version': VERSION, **identity, 'seed': secrets.randbelow(2 ** 32) if seed is None else seed,
                         'lang': 'en', 'rule points': {}})
        self.check(identity)
        self.record({key: value for key, value in (outputs or {}).items() if value is not None})
        return self.recorded()

    def position(self, name):
        """The place of the hand-in called `name` (its name or path) in the recorded list, for --only; a
        GradebookError when there is none or several, or the run is not finished (its outputs not written)."""
        paths = self.recorded()['submissions']
        if len(self.decided()) < len(paths):
            raise GradebookError(f'--only {name}: the recorded run is not finished ({len(self.decided())} of '
                                 f'{len(paths)} hand-ins graded): finish it with --resume first')
        found = [i for i, path in enumerate(paths) if name in (submission_name(path), os.path.basename(path))
                 or os.path.abspath(name) == path]
        if len(found) != 1:
            names = ', '.join(submission_name(path) for path in paths)
            raise GradebookError(f'--only {name}: ' + ('several hand-ins have that name; give its path' if found
                                                       else f'no such hand-in in the recorded run ({names})'))
        return found[0]

    def check(self, identity):
        """GradebookError naming each of IDENTITY where `identity` differs from the recorded run."""
        recorded = self.recorded()
        if recorded.get('version') != VERSION:
            raise GradebookError(f'{self.path} was written by another version of the grader '
                                 f'(layout {recorded.get("version")}, this one reads {VERSION}): grade into another '
                                 '--out')
        problems = [_difference(key, recorded.get(key), identity[key]) for key in IDENTITY
                    if _key(key, recorded.get(key)) != _key(key, identity[key])]
        if problems:
            raise GradebookError(f'{self.path} records another run: ' + '; '.join(problems)
                                 + '. Give the same case, hand-ins and limits, or another --out.')

    # ------------------------------------------------------------ results

    def store(self, position, source, row, findings, accuracies):
        """Keep one hand-in's result; committed (on the disk) when this returns."""
        with self.db:
            self.db.execute('INSERT OR REPLACE INTO results (position, source, row, findings, accuracies) '
                            'VALUES (?, ?, ?, ?, ?)', (position, source, json.dumps(row),
                                                       json.dumps([asdict(f) for f in findings]),
                                                       json.dumps(list(accuracies))))

    def decided(self):
        """The positions that have a result."""
        return {position for position, in self.db.execute('SELECT position FROM results')}

    def results(self):
        """[(row, [Finding], accuracies)] of every stored hand-in, in the run's order."""
        return [(json.loads(row), [Finding(**f) for f in json.loads(findings)], json.loads(accuracies))
                for row, findings, accuracies in
                self.db.execute('SELECT row, findings, accuracies FROM results ORDER BY position')]


def _key(key, value):
    """What is compared: the hand-ins as a set (their order is the recorded one), the rest as they are."""
    return sorted(value) if key == 'submissions' and isinstance(value, list) else value


def _difference(key, recorded, given):
    """One clause saying how `given` differs from the recorded `key`."""
    if key == 'submissions' and isinstance(recorded, list):
        new, gone = sorted(set(given) - set(recorded)), sorted(set(recorded) - set(given))
        parts = [f'{words}: {", ".join(paths)}' for words, paths in (('not in it', new), ('missing here', gone)) if paths]
        return 'the hand-ins differ (' + '; '.join(parts) + ')'
    if key == 'limits' and isinstance(recorded, dict):
        return 'the limits differ (' + ', '.join(f'{name} {recorded.get(name)} recorded, {value} here'
                                                  for name, value in given.items() if recorded.get(name) != value) + ')'
    if key == 'sandbox':
        return f'the recorded run ran: {recorded}; this one would run: {given} (--no-sandbox as the recorded run)'
    if key == 'rerun notebooks':
        return f'--rerun-notebooks: {recorded or "not given"} recorded, {given or "not given"} here'
    if key == 'teacher files':
        return 'the teacher\'s files (the release, the hidden tests, the solution) changed since'
    return f'{key} {recorded!r} recorded, {given!r} here'
