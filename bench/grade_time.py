"""Wall time of the grader (python -m teacher.grade): 20 mixed case-1 submissions, then one healthy submission alone.

    python bench/grade_time.py                      # this checkout
    python bench/grade_time.py --old /tmp/old       # and an older checkout (e.g. `git archive main`)
    python bench/grade_time.py --rerun-notebooks    # the 20, each with runner.ipynb, with and without the flag
    python bench/grade_time.py --rerun-notebooks --correct   # the same for 20 correct hand-ins

The mix is the one docs/teachers.md reports: 8 correct, 2 unmodified releases, 2 gradients summed over
the batch, 2 momentum sign errors, a syntax error, a loop at import, a loop in the softmax backward,
os._exit at import, megabytes of printing and a memory hog, built from each checkout's own files.
The grader runs with its defaults (2 jobs on 2 cores); each checkout grades in a fresh temporary folder.
With --rerun-notebooks each hand-in also holds the course's runner.ipynb as committed (its outputs), and the
same 20 are graded with --rerun-notebooks and without it, one after the other (the machine's load is printed).
"""
import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CALL = '        delta = subtract_targets('
MIX = {   # name: (how many, {case file: (old text, new text)} applied to the teacher's files; None: the release)
    'correct': (8, {}),
    'release': (2, None),
    'summed': (2, {'criterion.py': ('        delta /= len(self.gt)\n', '')}),
    'momentum_sign': (2, {'optimizer.py': ('v[...] = self.momentum * v - self.learning_rate',
                                           'v[...] = self.momentum * v + self.learning_rate')}),
    'syntax': (1, {'criterion.py': ('import numpy as np\n', 'import numpy as np\ndef oops(:\n')}),
    'loop_import': (1, {'optimizer.py': ('import numpy as np\n', 'import numpy as np\nwhile True:\n    pass\n')}),
    'loop_call': (1, {'criterion.py': (CALL, '        while True:\n            pass\n' + CALL)}),
    'exit': (1, {'optimizer.py': ('import numpy as np\n', 'import numpy as np\nimport os\nos._exit(0)\n')}),
    'printing': (1, {'criterion.py': (CALL, "        print('x' * 10 ** 7)\n" + CALL)}),
    'memory': (1, {'criterion.py': (CALL, '        hoard = [np.empty(10 ** 8) for i in range(100)]\n' + CALL)}),
}


def layout(checkout):
    """(the release module's name, the grading command's arguments) in the checkout: the teacher's
    rooms are in teacher/ since issue 23, at the root before."""
    if os.path.isdir(os.path.join(checkout, 'teacher')):
        return 'teacher.handout', ['-m', 'teacher.grade']
    return 'handout', ['grade.py']


def submissions(checkout, root, mix=MIX, notebook=False):
    """Folders under root, one per submission of `mix`, from the checkout's files, each with the
    checkout's runner.ipynb when `notebook`; [path]."""
    sys.path.insert(0, checkout)
    try:
        handout = importlib.import_module(layout(checkout)[0])
        handout.make_release(os.path.join(root, 'release'), 1, source_dir=checkout)
        files = handout.case_files(1, checkout)
    finally:
        sys.path.remove(checkout)
        loaded = ('teacher', 'handout', 'handout_markers', 'release_readme')   # either layout's
        for name in [m for m in sys.modules if m.split('.')[0] in loaded]:
            sys.modules.pop(name)
    paths = []
    for name, (count, changes) in mix.items():
        for i in range(count):
            folder = os.path.join(root, f'{name}{i}')
            os.mkdir(folder)
            for file in files:
                with open(os.path.join(checkout if changes is not None else os.path.join(root, 'release'), file),
                          encoding='utf-8') as handle:
                    text = handle.read()
                old, new = (changes or {}).get(file, ('', ''))
                if old and old not in text:
                    raise SystemExit(f'{checkout}/{file} no longer holds {old!r}: update the mix')
                with open(os.path.join(folder, file), 'w', encoding='utf-8') as handle:
                    handle.write(text.replace(old, new, 1) if old else text)
            if notebook:
                shutil.copyfile(os.path.join(checkout, 'runner.ipynb'), os.path.join(folder, 'runner.ipynb'))
            paths.append(folder)
    return paths


def timed(checkout, paths, out, flags=()):
    """(wall seconds, the grader's output) of grading `paths`."""
    start = time.monotonic()
    done = subprocess.run([sys.executable, *layout(checkout)[1], *paths, '--case', '1', '--out', out, *flags],
                          cwd=checkout, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f'the grader in {checkout} failed:\n{done.stderr[-2000:]}')
    return seconds, done.stdout


def rerun_notebooks(correct):
    """The grader on 20 hand-ins with runner.ipynb, with --rerun-notebooks and without, back to back."""
    mix = {'correct': (20, {})} if correct else MIX
    with tempfile.TemporaryDirectory(prefix='grade-time-') as root:
        paths = submissions(HERE, root, mix, notebook=True)
        load = os.getloadavg()[0]
        rerun, table = timed(HERE, paths, os.path.join(root, 'rerun'), ['--rerun-notebooks'])
        plain, _ = timed(HERE, paths, os.path.join(root, 'plain'))
        print(f'20 {"correct" if correct else "mixed"} case-1 hand-ins with runner.ipynb: {rerun:.1f} s with '
              f'--rerun-notebooks, {plain:.1f} s without (the grader in all, the reference graded alongside; '
              f'load {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} cores)')
        print('    ' + table.strip().replace('\n', '\n    '))


def main(argv=None):
    parser = argparse.ArgumentParser(description='Time the grader on 20 mixed submissions and on one healthy one.')
    parser.add_argument('--old', metavar='DIR', help='an older checkout to time the same way')
    parser.add_argument('--rerun-notebooks', action='store_true',
                        help='time 20 hand-ins with runner.ipynb with --rerun-notebooks and without it')
    parser.add_argument('--correct', action='store_true',
                        help='with --rerun-notebooks: 20 correct hand-ins, not the mix')
    args = parser.parse_args(argv)
    if args.rerun_notebooks:
        return rerun_notebooks(args.correct)
    for label, checkout in [('this checkout', HERE)] + ([('old', os.path.abspath(args.old))] if args.old else []):
        with tempfile.TemporaryDirectory(prefix='grade-time-') as root:
            paths = submissions(checkout, root)
            mixed, table = timed(checkout, paths, os.path.join(root, 'out20'))
            healthy, _ = timed(checkout, paths[:1], os.path.join(root, 'out1'))
            with open(os.path.join(root, 'out1', 'correct0.txt'), encoding='utf-8') as handle:
                run = re.search(r'run in ([0-9.]+) s', handle.read()).group(1)
        print(f'{label} ({checkout}): 20 mixed submissions {mixed:.1f} s; one healthy submission {healthy:.1f} s '
              f'(the grader in all, with the reference graded alongside; its own run {run} s)')
        print('    ' + table.strip().replace('\n', '\n    '))


if __name__ == '__main__':
    main()
