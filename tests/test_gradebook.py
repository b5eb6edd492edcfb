"""A class at a time, nothing lost: the gradebook in --out, --resume after a kill -9, --only for an appeal,
and the rules' findings in grades.csv, rules.csv and the feedback (each made inside tmp_path; the outputs on
their own, from planted findings: test_outputs.py).

The grading runs here test the run's flow, not the sandbox (test_grade_sandbox.py does), so they grade with
--no-sandbox: a case-1 hand-in then takes about a second, and twelve of them well under a minute.
"""
import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from teacher import grade
from teacher.findings import RULES, Finding
from teacher.gradebook import Gradebook, GradebookError
from test_grade import changed, folder, own_files

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
POINTS = {'t::a': 2, 't::b': 3}   # a small table for the outputs' tests (test_outputs.py)
PLANTED = {   # name -> findings, as the rules' checks return them
    'torch': [Finding('framework', 'import', 'criterion.py', 3, 'imports torch'),
              Finding('framework', 'import', 'runner.ipynb', 12, 'from tensorflow import keras')],
    'loops': [Finding('vectorized', 'loop', 'criterion.py', 41, 'a for loop over the batch in '
                      'SoftmaxCrossEntropyLossLayer.forward'),
              Finding('notebook', 'not-executed', 'runner.ipynb', 0, 'no cell of it was run')],
    'clean': [],
}


def row(name, points=(2, 3)):
    """A scored row as feedback.score makes it."""
    return {'name': name, **dict(zip(POINTS, points)), 'score': sum(points), 'max': 5, 'flags': '', 'notes': 'n',
            'nothing read': '', 'feedback': 'Tests (points earned / points):\n[2/2] t::a\n'}


def read_csv(path):
    with open(path, newline='', encoding='utf-8') as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------- the gradebook

IDENTITY = {'case': 1, 'submissions': ['/s/alice', '/s/bob.zip'], 'limits': {'wall': 120.0}, 'sandbox': 'plain',
            'teacher files': 'abc', 'rerun notebooks': None}


def test_a_result_is_on_the_disk_when_stored_and_read_back_as_it_was(tmp_path):
    with Gradebook(str(tmp_path)) as book:
        record = book.open_run('new', IDENTITY, seed=7, outputs={'lang': 'zh'})
        assert record['seed'] == 7 and record['lang'] == 'zh' and record['rule points'] == {}
        book.store(1, '/s/bob.zip', row('bob'), PLANTED['loops'], [0.9])
        other = sqlite3.connect(tmp_path / 'gradebook.db')   # another process's view, before this one closes
        assert other.execute('SELECT position FROM results').fetchall() == [(1,)]
        other.close()
        with pytest.raises(GradebookError, match=r'--only bob: the recorded run is not finished \(1 of 2'):
            book.position('bob')
    with Gradebook(str(tmp_path)) as book:
        assert book.results() == [(row('bob'), PLANTED['loops'], [0.9])] and book.decided() == {1}
        book.store(0, '/s/alice', row('alice'), [], [])
        assert book.position('bob') == 1 and book.position('bob.zip') == 1 and book.position('/s/alice') == 0


def test_a_gradebook_refuses_another_run_a_second_start_and_unknown_names(tmp_path):
    with Gradebook(str(tmp_path)) as book:
        book.open_run('new', IDENTITY)
        with pytest.raises(GradebookError, match='holds a grading run already: --resume finishes it'):
            book.open_run('new', IDENTITY)
        other = {**IDENTITY, 'case': 2, 'submissions': ['/s/alice', '/s/carol'], 'limits': {'wall': 60.0}}
        with pytest.raises(GradebookError) as error:
            book.open_run('resume', other)
        assert ('records another run: case 1 recorded, 2 here; the hand-ins differ (not in it: /s/carol; missing '
                'here: /s/bob.zip); the limits differ (wall 120.0 recorded, 60.0 here)') in str(error.value)
        assert book.open_run('resume', {**IDENTITY, 'submissions': IDENTITY['submissions'][::-1]})['case'] == 1
        for position, name in enumerate(('alice', 'bob')):
            book.store(position, IDENTITY['submissions'][position], row(name), [], [])
        with pytest.raises(GradebookError, match=r'--only dave: no such hand-in in the recorded run \(alice, bob\)'):
            book.position('dave')
    with Gradebook(str(tmp_path / 'empty')) as book:
        with pytest.raises(GradebookError, match='no grading run is recorded there, so there is nothing to resume'):
            book.open_run('resume', IDENTITY)
    (tmp_path / 'bad').mkdir()
    (tmp_path / 'bad' / 'gradebook.db').write_text('not a database')
    with pytest.raises(GradebookError, match='not a gradebook this grader can read'):
        Gradebook(str(tmp_path / 'bad'))


# ---------------------------------------------------------------- the command line

def test_every_flag_of_the_grader_says_what_it_does_and_its_default():
    parser, _ = grade.parse(['--out', 'x'])
    for action in parser._actions:
        if action.dest in ('help', 'submissions'):
            continue
        assert action.help and len(action.help) > 30, action.dest
        assert action.required or 'default' in action.help, action.dest
    text = parser.format_help()
    for flag, said in (('--time-limit', 'default: 120'), ('--test-timeout', 'default: 10'),
                       ('--memory-mb', 'default: 1024'), ('--output-mb', 'default: 8')):
        assert said in text.split(flag)[-1].split('--')[0], flag


def test_resume_without_a_gradebook_or_only_with_resume_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        grade.main(['--out', str(tmp_path), '--resume'])
    assert stop.value.code == 2 and 'no gradebook.db in' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        grade.main(['--out', str(tmp_path), '--resume', '--only', 'x'])
    assert '--resume and --only: give one of them' in capsys.readouterr().err


# ---------------------------------------------------------------- grading runs

def class_of_12(root):
    """Twelve case-1 hand-ins, four kinds that score differently: correct, gradient summed, momentum sign, a
    syntax error."""
    own = own_files()
    kinds = {'ok': own,
             'summed': {**own, 'criterion.py': changed('criterion.py', '        delta /= len(self.gt)\n', '')},
             'momentum': {**own, 'optimizer.py': changed('optimizer.py', '        v -= step\n', '        v += step\n')},
             'syntax': {**own, 'layers.py': own['layers.py'] + '\ndef oops(:\n'}}
    return [folder(root, f'{kind}{i}', kinds[kind]) for i in range(3) for kind in kinds]


def command(*args):
    return [sys.executable, '-m', 'teacher.grade', *args, '--no-sandbox', '--jobs', '1']


def decided(out):
    """{position: the time its result was stored} of the gradebook in `out` (read as another process would)."""
    path = os.path.join(out, 'gradebook.db')
    if not os.path.exists(path):
        return {}
    db = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
    try:
        return dict(db.execute('SELECT position, decided || row FROM results'))
    except sqlite3.OperationalError:   # the tables are not made yet
        return {}
    finally:
        db.close()


@pytest.mark.slow
def test_a_run_killed_after_the_fifth_result_resumes_with_the_seven_left_and_the_same_grades(tmp_path):
    paths, out = class_of_12(tmp_path), str(tmp_path / 'out')
    killed = subprocess.Popen(command(*paths, '--case', '1', '--out', out), cwd=ROOT, stderr=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 240
    while len(decided(out)) < 5 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    before = decided(out)
    assert sorted(before) == [0, 1, 2, 3, 4] and not os.path.exists(os.path.join(out, 'grades.csv'))

    resumed = subprocess.run(command('--out', out, '--resume'), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    after = decided(out)
    assert sorted(after) == list(range(12)) and all(after[i] == before[i] for i in before)   # the five kept as stored
    assert 'teacher.grade: 6/12 graded' in resumed.stderr and '5/12' not in resumed.stderr
    assert 'Rules: hand-ins breaking each, of 12:' in resumed.stdout

    with Gradebook(out) as book:
        seed = book.recorded()['seed']
    grade.grade(paths, 1, str(tmp_path / 'whole'), jobs=2, no_sandbox=True, seed=seed, stream=open(os.devnull, 'w'))
    whole, table = read_csv(tmp_path / 'whole' / 'grades.csv'), read_csv(os.path.join(out, 'grades.csv'))
    assert table == whole and len({line['score'] for line in table}) == 4   # four kinds, four scores

    appeal = subprocess.run(command('--out', out, '--only', 'summed1'), cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert appeal.returncode == 0, appeal.stderr
    score = next(line['score'] for line in table if line['name'] == 'summed1')
    assert appeal.stdout.startswith(f'summed1: {float(score):g} / ')
    assert read_csv(os.path.join(out, 'grades.csv')) == whole
    regraded = decided(out)
    assert [i for i in range(12) if regraded[i] != after[i]] == [5]   # summed1 only, graded again


@pytest.mark.slow
def test_ctrl_c_finishes_the_hand_in_being_graded_stores_it_and_resume_grades_the_rest(tmp_path):
    paths, out = class_of_12(tmp_path)[:4], str(tmp_path / 'out')
    stopped = subprocess.Popen(command(*paths, '--case', '1', '--out', out), cwd=ROOT, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    while not decided(out) and time.monotonic() < deadline:
        time.sleep(0.02)
    stopped.send_signal(signal.SIGINT)
    _, stderr = stopped.communicate(timeout=120)
    assert stopped.returncode == 130 and 'Ctrl-C: finishing 1 hand-in being graded' in stderr, stderr
    assert sorted(decided(out)) == [0, 1] and 'stopped: 2 of 4 hand-ins graded and stored' in stderr   # the one running
    assert '--resume grades the rest' in stderr and not os.path.exists(os.path.join(out, 'grades.csv'))
    resumed = subprocess.run(command('--out', out, '--resume'), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0 and sorted(decided(out)) == [0, 1, 2, 3], resumed.stderr
    assert len(read_csv(os.path.join(out, 'grades.csv'))) == 4


@pytest.mark.slow
def test_planted_findings_reach_the_gradebook_grades_rules_and_feedback(tmp_path):
    paths = [folder(tmp_path, name, own_files()) for name in PLANTED]

    def planted(intake, case, run):
        return PLANTED[intake.name], [0.9212] if intake.name == 'clean' else []
    out = tmp_path / 'out'
    rows, problems = grade.grade(paths, 1, str(out), jobs=2, no_sandbox=True, inspect=planted, lang='zh',
                                 rule_points={'framework': -5}, stream=open(os.devnull, 'w'))
    assert problems == [] and [r['name'] for r in rows] == list(PLANTED)
    table = {line['name']: line for line in read_csv(out / 'grades.csv')}
    full = float(table['clean']['max'])
    assert float(table['torch']['score']) == full - 5 and table['torch']['framework'] == 'import'
    assert float(table['loops']['score']) == full and table['loops']['vectorized'] == 'loop'
    assert table['clean']['test accuracy'] == '0.9212'
    assert len(read_csv(out / 'rules.csv')) == 4
    assert '违反规则 "不得使用深度学习框架' in (out / 'torch.txt').read_text()
    with Gradebook(str(out)) as book:
        assert [findings for _, findings, _ in book.results()] == [   # stored in the rules' order
            sorted(found, key=lambda f: RULES.index(f.rule)) for found in PLANTED.values()]


@pytest.mark.slow
def test_the_rules_findings_of_real_hand_ins_reach_grades_rules_and_feedback(tmp_path):
    """The rules' own checks (teacher/rules/) through a grading run: the project's executed runner.ipynb
    gives no notebook finding and its printed accuracies; `import torch` gives its finding with file and line."""
    with open(os.path.join(ROOT, 'runner.ipynb'), encoding='utf-8') as handle:
        notebook = handle.read()
    own = own_files()
    torch = own['criterion.py'].replace('\nimport numpy as np\n', '\nimport numpy as np\n\n\ndef _unused():\n'
                                        '    import torch\n', 1)
    assert torch != own['criterion.py']
    line = torch.splitlines().index('    import torch') + 1
    paths = [folder(tmp_path, 'complete', {**own, 'runner.ipynb': notebook}),
             folder(tmp_path, 'torch', {**own, 'criterion.py': torch, 'runner.ipynb': notebook})]
    rows, problems = grade.grade(paths, 1, str(tmp_path / 'out'), jobs=2, no_sandbox=True,
                                 stream=open(os.devnull, 'w'))
    table = {row['name']: row for row in read_csv(tmp_path / 'out' / 'grades.csv')}
    assert problems == [] and float(table['complete']['score']) == float(table['complete']['max']) == float(
        table['torch']['score'])   # the framework rule costs nothing by default
    assert table['complete']['notebook'] == table['torch']['notebook'] == ''
    assert table['complete']['test accuracy'] == '0.9032 0.9217'
    assert table['complete']['framework'] == '' and table['torch']['framework'] == 'import'
    found = [f for f in read_csv(tmp_path / 'out' / 'rules.csv') if f['rule'] == 'framework']
    assert [(f['submission'], f['file'], f['line']) for f in found] == [('torch', 'criterion.py', str(line))]
    assert f'framework: criterion.py line {line}: ' in (tmp_path / 'out' / 'torch.txt').read_text()


def test_the_progress_line_says_done_of_total_the_hand_ins_being_graded_and_the_time_left(monkeypatch):
    import io
    from teacher import classrun
    clock = iter([100.0, 100.0, 130.0, 130.0, 135.0])   # start, its last result, a result after 30 s, shown at 35 s
    monkeypatch.setattr(classrun.time, 'monotonic', lambda: next(clock))
    stream = io.StringIO()
    progress = classrun.Progress(10, 4, stream)   # a resumed run: 4 graded before it
    with progress.grading(0, 'alice'):
        progress.show(force=True)
    progress.decided('alice')
    with progress.grading(1, 'carol'), progress.grading(2, 'bob'):
        progress.show(force=True)
    assert stream.getvalue().splitlines() == ['teacher.grade: 4/10 graded | grading alice | time left: -',
                                              'teacher.grade: 5/10 graded | grading bob, carol | ~2:25 left']
