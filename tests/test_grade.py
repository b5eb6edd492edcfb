"""The grader: safe intake of folders and zips, the points table against the tests, and broken or
hostile submissions graded together (each made inside tmp_path; the checkout is only read). The
sandbox's own acceptance tests are in test_grade_sandbox.py."""
import csv
import os
import subprocess
import sys
import time
import zipfile

import pytest

from teacher import grade
from teacher import sandbox
from teacher import feedback as grade_feedback
from teacher.outputs import write_outputs
from teacher.findings import RULES
from teacher.intake import MAX_FILE_BYTES, read_submission
from teacher.run import Limits
from teacher.handout import case_files, make_release

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
LIMITS = Limits(wall=60, per_test=4, memory_mb=900, output_mb=2)
PLAIN = not sandbox.support().usable   # these tests are about grading, not the sandbox: they run without one


def source(name):
    with open(os.path.join(ROOT, name), encoding='utf-8') as handle:
        return handle.read()


def changed(name, old, new):
    """The project's file `name` with `old` replaced by `new` (which must be there)."""
    return mutate(source(name), old, new)


def mutate(text, old, new):
    assert old in text, f'the project no longer holds {old!r}: update this mutation'
    return text.replace(old, new)


def folder(root, name, files):
    """A submission folder root/name holding {file name: text}."""
    path = root / name
    path.mkdir()
    for file, text in files.items():
        (path / file).write_text(text, encoding='utf-8')
    return str(path)


def own_files(case=1):
    return {name: source(name) for name in case_files(case)}


def grade_folders(root, case, subs, limits):
    """({name: row of grades.csv}, problems, the output folder) of grading, in the sandbox, a submission
    folder root/name for each {name: {file name: text}} of subs."""
    out, work = root / 'out', root / 'work'
    work.mkdir()
    paths = [folder(root, name, files) for name, files in subs.items()]
    rows, problems = grade.grade(paths, case, str(out), limits, work=str(work))
    return {row['name']: row for row in rows}, problems, out


def feedback(out, name):
    """The text of the feedback file of the submission `name` in the output folder."""
    return (out / f'{name}.txt').read_text()


# ---------------------------------------------------------------- intake

def test_zip_members_that_climb_out_are_absolute_links_or_bombs_are_refused(tmp_path):
    path = tmp_path / 'alice.zip'
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('alice/criterion.py', 'x = 1\n')
        archive.writestr('../optimizer.py', 'x = 2\n')
        archive.writestr('/etc/optimizer.py', 'x = 3\n')
        archive.writestr('notes.txt', 'hello')
        archive.writestr('bomb.py', b'\0' * (MAX_FILE_BYTES + 1))
        link = zipfile.ZipInfo('link.py')
        link.external_attr = 0o120777 << 16
        archive.writestr(link, '/etc/passwd')
    intake = read_submission(str(path), ['criterion.py', 'optimizer.py'])
    assert intake.name == 'alice' and intake.files == {'criterion.py': b'x = 1\n'}
    assert intake.missing == ['optimizer.py'] and intake.ignored == ['notes.txt']
    refused = dict(intake.refused)
    assert '..' in refused['../optimizer.py'] and 'absolute' in refused['/etc/optimizer.py']
    assert 'larger' in refused['bomb.py'] and 'link' in refused['link.py']
    assert not (tmp_path / 'optimizer.py').exists()


def test_folder_takes_the_shallowest_file_of_each_name_and_refuses_links_and_ties(tmp_path):
    root = tmp_path / 'bob'
    (root / 'deep' / 'deeper').mkdir(parents=True)
    (root / 'deep' / 'criterion.py').write_text('a = 1\n')
    (root / 'deep' / 'deeper' / 'criterion.py').write_text('a = 2\n')
    (root / 'x').mkdir()
    (root / 'x' / 'optimizer.py').write_text('b = 1\n')
    (root / 'y').mkdir()
    (root / 'y' / 'optimizer.py').write_text('b = 2\n')
    (root / 'layers.py').symlink_to('/etc/passwd')
    intake = read_submission(str(root), ['criterion.py', 'optimizer.py', 'layers.py'])
    assert intake.files == {'criterion.py': b'a = 1\n'}
    assert intake.missing == ['optimizer.py', 'layers.py']
    refused = dict(intake.refused)
    assert 'link' in refused['layers.py'] and 'x/optimizer.py, y/optimizer.py' in refused['optimizer.py']


def test_not_a_zip_nor_a_folder_is_said(tmp_path):
    path = tmp_path / 'carol.zip'
    path.write_text('not a zip')
    intake = read_submission(str(path), ['criterion.py'])
    assert 'neither a folder nor a .zip' in intake.error and intake.missing == ['criterion.py']


def test_a_corrupt_zip_member_is_refused_and_the_rest_is_taken(tmp_path):
    path = tmp_path / 'dave.zip'
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('criterion.py', 'import numpy as np\n' * 200)
        archive.writestr('optimizer.py', 'y = 2\n')
    data = bytearray(path.read_bytes())
    start = data.index(b'criterion.py') + len('criterion.py')   # the first member's compressed bytes
    data[start + 10:start + 40] = bytes(b ^ 0xFF for b in data[start + 10:start + 40])
    path.write_bytes(bytes(data))
    intake = read_submission(str(path), ['criterion.py', 'optimizer.py'])
    assert intake.files == {'optimizer.py': b'y = 2\n'} and intake.missing == ['criterion.py']
    assert 'could not be read' in dict(intake.refused)['criterion.py']


def test_feedback_files_of_submissions_with_the_same_name_are_kept_apart(tmp_path):
    rows = [{'name': name, 'score': 0, 'max': 0, 'flags': '', 'feedback': f'feedback {i}\n'}
            for i, name in enumerate(['a-2', 'a', 'a', 'grades', 'rules'])]
    write_outputs(str(tmp_path), {}, [(row, [], []) for row in rows])
    texts = sorted(p.read_text().rpartition('\n\n')[2] for p in tmp_path.glob('*.txt'))
    assert texts == [f'feedback {i}\n' for i in range(5)] and (tmp_path / 'grades.csv').exists()
    assert not (tmp_path / 'grades.txt').exists() and not (tmp_path / 'rules.txt').exists()


def test_a_long_failure_message_ends_with_a_whole_sentence():
    first = 'SGD with momentum: (W, b) is wrong from step 1. '
    message = first + 'Diagnosis: ' + 'a mistake that is explained at length, ' * 40 + 'to the end.'
    short = grade_feedback._short(message)
    assert short == first.strip() + ' [the rest is cut]' and grade_feedback._short(first) == first.strip()


# ---------------------------------------------------------------- the points table

@pytest.mark.parametrize('case', sorted(grade.POINTS))
def test_every_declared_test_exists_and_every_collected_test_has_points(case):
    found = subprocess.run([sys.executable, '-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider',
                            *grade.test_files(case)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    collected = [line for line in found.stdout.splitlines() if '::' in line]
    assert collected, found.stdout + found.stderr
    assert grade.table_problems(case, collected) == []
    assert grade.table_problems(case, collected + ['tests/x.py::test_new']) == [
        'tests/x.py::test_new was collected but has no points']


def test_hidden_tests_are_not_in_the_release(tmp_path):
    make_release(str(tmp_path / 'release'), 1)
    assert not (tmp_path / 'release' / 'tests_hidden').exists() and not (tmp_path / 'release' / 'teacher').exists()
    assert not any(name.startswith('grade') for name in os.listdir(tmp_path / 'release'))


# ---------------------------------------------------------------- graded together

def hostile_submissions(root):
    """{name: path} of case-1 submissions: good, broken in one way each, and hostile."""
    release = root / 'release'
    make_release(str(release), 1)
    own = own_files()
    loop = 'while True:\n    pass\n'
    subs = {
        'own': folder(root, 'own', own),
        'release': folder(root, 'release-files', {n: (release / n).read_text() for n in case_files(1)}),
        'summed': folder(root, 'summed', {**own, 'criterion.py': changed(
            'criterion.py', '        delta /= len(self.gt)\n', '')}),
        'momentum_sign': folder(root, 'momentum_sign', {**own, 'optimizer.py': mutate(mutate(
            own['optimizer.py'], '        v -= step\n', '        v += step\n'),
            'v[...] = self.momentum * v - self.learning_rate', 'v[...] = self.momentum * v + self.learning_rate')}),
        'syntax': folder(root, 'syntax', {**own, 'criterion.py': own['criterion.py'] + '\ndef oops(:\n'}),
        'loop_import': folder(root, 'loop_import', {**own, 'optimizer.py': loop + own['optimizer.py']}),
        'loop_call': folder(root, 'loop_call', {**own, 'criterion.py': changed(
            'criterion.py', '        delta = subtract_targets(', '        ' + loop.replace('\n', '\n        ')
            + 'delta = subtract_targets(')}),
        'swallow_call': folder(root, 'swallow_call', {**own, 'criterion.py': changed(
            'criterion.py', '        delta = subtract_targets(', '        while True:\n            try:\n'
            '                sum(range(1000))\n            except Exception:\n                pass\n'
            '        delta = subtract_targets(')}),
        'exit': folder(root, 'exit', {**own, 'optimizer.py': 'import os\nos._exit(0)\n' + own['optimizer.py']}),
        'exit_call': folder(root, 'exit_call', {**own, 'criterion.py': changed(
            'criterion.py', '        delta = subtract_targets(', '        import os\n        os._exit(0)\n'
            '        delta = subtract_targets(')}),
        'printing': folder(root, 'printing', {**own, 'criterion.py': changed(
            'criterion.py', '        delta = subtract_targets(', "        print('x' * 10 ** 7)\n"
            '        delta = subtract_targets(')}),
        'memory': folder(root, 'memory', {**own, 'criterion.py': changed(
            'criterion.py', '        delta = subtract_targets(',
            '        hoard = [np.empty(10 ** 8) for i in range(100)]\n        delta = subtract_targets(')}),
    }
    with zipfile.ZipFile(root / 'zipped.zip', 'w') as archive:
        for name, text in own.items():
            archive.writestr('zipped/' + name, text)
        archive.writestr('../../escape.py', 'print("out")')
        archive.writestr('zipped/notes.txt', 'my notes')
    subs['zipped'] = str(root / 'zipped.zip')
    return subs


@pytest.fixture(scope='module')
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp('submissions')
    subs = hostile_submissions(root)
    start = time.monotonic()
    (root / 'work').mkdir()
    rows, problems = grade.grade(list(subs.values()), 1, str(root / 'out'), LIMITS, work=str(root / 'work'),
                                 no_sandbox=PLAIN)
    seconds = time.monotonic() - start
    names = {os.path.basename(path).removesuffix('.zip'): key for key, path in subs.items()}
    return {names[row['name']]: row for row in rows}, problems, root / 'out', seconds


@pytest.mark.slow
def test_own_files_get_full_marks_and_the_release_gets_none(graded):
    rows, problems, _, _ = graded
    assert problems == []
    assert rows['own']['score'] == rows['own']['max'] > 0 and rows['own']['flags'] == ''
    assert rows['release']['score'] == 0
    assert rows['zipped']['score'] == rows['zipped']['max']


@pytest.mark.slow
@pytest.mark.parametrize('name, said', [
    ('summed', 'summed over the batch instead of averaged'), ('momentum_sign', 'wrong sign: v ← γ·v + α·∇J')])
def test_a_wrong_gradient_or_momentum_gets_partial_marks_and_a_diagnosis(graded, name, said):
    rows, _, out, _ = graded
    assert 0 < rows[name]['score'] < rows[name]['max']
    assert said in (out / f'{name}.txt').read_text()


@pytest.mark.slow
@pytest.mark.parametrize('name, flag, said', [
    ('syntax', 'syntax error', 'SyntaxError'), ('loop_import', 'timeout', 'per-test limit'),
    ('loop_call', 'timeout', 'per-test limit'), ('swallow_call', 'timeout', 'per-test limit'),
    ('exit', 'crash', 'importing your files failed: the process running your code ended (exit code 0)'),
    ('exit_call', 'crash', 'the process running your code ended (exit code 0)'),
    ('printing', 'output', 'MB limit'), ('memory', 'memory', 'ran out of memory')])
def test_hostile_submissions_are_survived_and_said(graded, name, flag, said):
    rows, _, out, seconds = graded
    feedback = (out / f'{name}.txt').read_text()
    assert flag in rows[name]['flags'], feedback
    assert said in feedback
    assert rows[name]['score'] < rows[name]['max']
    assert seconds < 3 * LIMITS.wall


@pytest.mark.slow
def test_what_a_function_breaks_costs_only_its_tests(graded):
    rows, _, out, _ = graded
    momentum = 'tests/test_case1.py::test_sgd_with_momentum_follows_the_lecture'   # runs after the broken tests
    for name in ('loop_call', 'swallow_call', 'exit_call', 'printing', 'memory'):
        feedback = (out / f'{name}.txt').read_text()
        assert 0 < rows[name]['score'] < rows[name]['max'], feedback
        assert rows[name][momentum] == grade.POINTS[1][momentum], feedback
    assert rows['exit']['score'] == 0   # it ends the worker as it starts
    assert rows['syntax'][momentum] == grade.POINTS[1][momentum]   # optimizer.py does not need criterion.py


@pytest.mark.slow
def test_grades_csv_and_feedback_files(graded):
    rows, _, out, _ = graded
    with open(out / 'grades.csv', newline='') as handle:
        table = list(csv.DictReader(handle))
    assert [row['name'] for row in table] == [row['name'] for row in rows.values()]
    tests = len(grade.POINTS[1])
    assert list(table[0])[:3] == ['name', 'score', 'max'] and list(table[0])[3:3 + tests] == list(grade.POINTS[1])
    assert list(table[0])[3 + tests:] == [*RULES, 'test accuracy', 'rule points', 'flags', 'notes']
    assert 'inputs drawn from seed' in table[0]['notes']
    assert sorted(os.listdir(out)) == sorted(['grades.csv', 'rules.csv', 'gradebook.db', 'similarity.csv',
                                              'similarity.html']
                                             + [row['name'] + '.txt' for row in rows.values()])
    zipped = (out / 'zipped.txt').read_text()
    assert 'Refused: ../../escape.py' in zipped and 'Ignored (not files of this case): zipped/notes.txt' in zipped
    assert not (out.parent.parent / 'escape.py').exists()


@pytest.mark.slow
def test_case2_own_files_get_full_marks_and_the_release_none(tmp_path):
    make_release(str(tmp_path / 'release'), 2)
    own = folder(tmp_path, 'own', own_files(2))
    release = folder(tmp_path, 'todo', {n: (tmp_path / 'release' / n).read_text() for n in case_files(2)})
    rows, problems = grade.grade([own, release], 2, str(tmp_path / 'out'), LIMITS, work=str(tmp_path), no_sandbox=PLAIN)
    assert problems == []
    assert rows[0]['score'] == rows[0]['max'] == sum(grade.POINTS[2].values()) and rows[1]['score'] == 0
