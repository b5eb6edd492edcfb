"""python -m teacher.similarity SUBMISSION... --case N --out DIR [--reference DIR...] [--threshold X]"""
import argparse
import os
import sys
import time

from formatting import plural
from teacher.handout import CASES
from teacher.similarity.report import write_reports


class Progress:
    """One line on stderr, rewritten in place on a terminal (a line each ~2 s in a pipe)."""

    def __init__(self, stream=sys.stderr):
        self.stream, self.tty, self.last = stream, stream.isatty(), 0.0

    def __call__(self, text):
        now = time.monotonic()
        if self.tty:
            self.stream.write(f'\rteacher.similarity: {text}\x1b[K')
        elif now - self.last > 2 or text.startswith('scored'):
            self.stream.write(f'teacher.similarity: {text}\n')
        else:
            return
        self.last = now
        self.stream.flush()

    def done(self):
        if self.tty:
            self.stream.write('\n')


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m teacher.similarity',
                                     description='Compare what the students of a case wrote, pair by pair.')
    parser.add_argument('submissions', nargs='+', metavar='SUBMISSION',
                        help='folders or .zip files, as teacher.grade takes')
    parser.add_argument('--case', type=int, choices=CASES, required=True)
    parser.add_argument('--out', required=True, metavar='DIR', help='gets similarity.csv and similarity.html')
    parser.add_argument('--reference', nargs='+', default=[], metavar='DIR',
                        help="earlier years' submissions or solutions found online: compared with every submission")
    parser.add_argument('--threshold', type=float, default=None,
                        help="flag pairs scoring at least this (default: from the cohort's spread)")
    args = parser.parse_args(argv)
    missing = [p for p in args.submissions + args.reference if not os.path.exists(p)]
    if missing:
        parser.error(f'no such submission or reference: {", ".join(missing)}')
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        parser.error(f'--threshold {args.threshold:g}: expected a score between 0 and 1')
    progress = Progress()
    cohort, rows = write_reports(args.submissions, args.case, args.out, args.reference, args.threshold,
                                 progress=progress)
    progress.done()
    flagged = sum(row.flagged for row in rows)
    print(f'{plural(len(rows), "pair")} of {plural(len(cohort.docs), "submission")} compared; {flagged} flagged '
          f'(threshold {cohort.threshold_how}); {plural(len(cohort.skipped), "entry", "entries")} not compared; '
          f'see {os.path.join(args.out, "similarity.html")}')
    for name, entry, why in cohort.skipped:
        print(f'not compared: {name}{": " + entry if entry else ""}: {why}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
