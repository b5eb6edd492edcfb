"""--rerun-notebooks: the handed-in notebook run again in the sandbox on the hand-in's own code.

The course's runner.ipynb with the teacher's files must give no finding (its seeded accuracies come
back); the same notebook with an accuracy edited by hand gives 'results-differ' at that cell, and on
the release's unfinished files 'error'. Hostile notebooks (a cell that reads the teacher's files,
writes outside, forks without end, prints without end, or connects out) are contained like any
submission's code. Everything is made in the test's temporary folders. Skipped where the sandbox
cannot be built (no bubblewrap, or not root); CI installs bubblewrap and runs as root.
"""
import glob
import json
import os
import socket

import pytest

from teacher import grade, rerun
from teacher.run import Limits, Template
from test_grade import folder, own_files

from test_grade_sandbox import SUPPORT, pytestmark  # noqa: F401  (slow; skipped without bubblewrap and root)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
LIMITS = Limits(wall=60, per_test=4, memory_mb=900, output_mb=2)
QUICK = rerun.NotebookLimits(seconds=20)
HANDED_IN = 'Final test accuracy 0.9217'   # runner.ipynb's second test accuracy, printed by its cell 8


def runner_notebook(edit=None):
    with open(os.path.join(ROOT, 'runner.ipynb'), 'rb') as handle:
        data = handle.read()
    assert HANDED_IN.encode() in data, 'runner.ipynb no longer prints this accuracy: update the test'
    return data.replace(HANDED_IN.encode(), edit.encode()) if edit else data


def notebook(*sources):
    """A notebook's bytes: one code cell per source, never executed."""
    cells = [{'cell_type': 'code', 'source': text, 'metadata': {}, 'outputs': [], 'execution_count': None}
             for text in sources]
    return json.dumps({'cells': cells, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}).encode()


@pytest.fixture(scope='module')
def template(tmp_path_factory):
    return Template(1, ROOT, str(tmp_path_factory.mktemp('release')))


def check(template, tmp_path, data, submitted=None, limits=rerun.NotebookLimits()):
    submitted = template.solution if submitted is None else submitted
    return rerun.check(template, 'alice/runner.ipynb', data, LIMITS, limits, str(tmp_path), 0, SUPPORT, submitted)


def test_the_course_notebook_run_again_on_the_teachers_files_gives_no_finding(template, tmp_path):
    assert check(template, tmp_path, runner_notebook()) == []


def test_an_accuracy_edited_by_hand_is_found_at_its_cell(template, tmp_path):
    found = check(template, tmp_path, runner_notebook('Final test accuracy 0.9517'))
    assert [(f.rule, f.finding, f.file, f.line) for f in found] == [
        ('notebook', 'results-differ', 'alice/runner.ipynb', 8)]
    assert '0.9517 in the hand-in' in found[0].detail and 'printed 0.9217' in found[0].detail


def test_a_notebook_whose_code_does_not_run_gives_an_error_at_its_cell(template, tmp_path):
    found = check(template, tmp_path, runner_notebook(), submitted={})   # the release's TODOs
    assert [(f.finding, f.line) for f in found] == [('error', 4)], found
    assert 'NotImplementedError' in found[0].detail and 'TODO' in found[0].detail


def test_an_error_the_hand_in_already_shows_at_that_cell_is_left_to_the_notebook_rule(template, tmp_path):
    cells = json.loads(notebook('x = 1', '1 / 0'))
    cells['cells'][1]['outputs'] = [{'output_type': 'error', 'ename': 'ZeroDivisionError', 'evalue': 'division by zero',
                                     'traceback': []}]
    assert check(template, tmp_path, json.dumps(cells).encode(), limits=QUICK) == []
    assert [f.line for f in check(template, tmp_path, notebook('x = 1', '1 / 0'), limits=QUICK)] == [2]


def test_a_cell_reading_the_teachers_files_gets_nothing(template, tmp_path):
    paths = [os.path.join(ROOT, 'teacher', 'tests_hidden', 'test_hidden_case1.py'), os.path.join(ROOT, 'criterion.py'),
             '../teacher/tests_hidden/test_hidden_case1.py', 'teacher/tests_hidden/test_hidden_case1.py']
    found = check(template, tmp_path, notebook(f'''texts = []
for path in {paths!r}:
    try:
        texts.append(open(path).read()[:30])
    except OSError as error:
        texts.append(type(error).__name__)
raise RuntimeError('LEAK ' + ' '.join(texts) + ' END')'''))
    assert [f.finding for f in found] == ['error']
    assert 'LEAK FileNotFoundError FileNotFoundError FileNotFoundError FileNotFoundError END' in found[0].detail, found


def test_a_cell_writing_outside_is_refused(template, tmp_path):
    targets = [os.path.join(ROOT, 'intruder.txt'), str(tmp_path / 'intruder.txt'), '/sub/intruder.txt']
    found = check(template, tmp_path, notebook(f'''refused = []
for path in {targets!r}:
    try:
        open(path, 'w').write('x')
    except OSError as error:
        refused.append(type(error).__name__)
raise RuntimeError(f'REFUSED {{len(refused)}}')'''))
    assert [f.finding for f in found] == ['error'] and 'REFUSED 3' in found[0].detail, found
    assert not any(os.path.exists(path) for path in targets[:2])


def test_a_fork_bomb_is_stopped_at_the_time_limit_and_leaves_nothing(template, tmp_path):
    found = check(template, tmp_path, notebook('''import os
while True:
    try:
        os.fork()
    except OSError:
        pass'''), limits=QUICK)
    assert [f.finding for f in found] == ['error'] and 'time limit' in found[0].detail, found
    assert not glob.glob(os.path.join(SUPPORT.cgroup or '/nonexistent', f'grade-{os.getpid()}-*'))   # all ended


def test_the_time_limit_holds_for_all_the_cells_together_and_names_the_cell_it_stopped(template, tmp_path):
    found = check(template, tmp_path, notebook('import time\ntime.sleep(12)', 'time.sleep(12)', 'print(1)'),
                  limits=QUICK)
    assert [(f.finding, f.line) for f in found] == [('error', 2)] and 'time limit of 20 s' in found[0].detail, found


def test_a_notebook_printing_without_end_is_stopped_at_the_output_cap(template, tmp_path):
    found = check(template, tmp_path, notebook('for i in range(125):\n    print("x" * 8_000_000)'))   # 1 GB
    assert [(f.finding, f.line) for f in found] == [('error', 1)], found
    assert f'printed more than {rerun.OUTPUT_MB} MB' in found[0].detail


def test_a_cell_connecting_out_is_refused(template, tmp_path):
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen()
    try:
        port = listener.getsockname()[1]
        connect = f'import socket\nsocket.create_connection(("127.0.0.1", {port}), 2)'
        found = check(template, tmp_path, notebook(connect))
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    assert [f.finding for f in found] == ['error'] and 'ConnectionRefusedError' in found[0].detail, found


def test_the_grader_runs_the_notebook_with_the_flag(tmp_path, monkeypatch):
    runs, original = {}, grade.score

    def score(points, collected, intake, run, limits):   # the runs as grade() scores them
        runs[intake.name if intake else ''] = run
        return original(points, collected, intake, run, limits)
    monkeypatch.setattr(grade, 'score', score)
    files = {**own_files(), 'runner.ipynb': runner_notebook('Final test accuracy 0.9517').decode()}
    (tmp_path / 'work').mkdir()
    grade.grade([folder(tmp_path, 'edited', files)], 1, str(tmp_path / 'out'), LIMITS, work=str(tmp_path / 'work'),
                rerun_notebooks=rerun.NotebookLimits())
    assert [(f.rule, f.finding, f.line) for f in runs['edited'].findings] == [('notebook', 'results-differ', 8)]


@pytest.mark.parametrize('reply', [b'[' * 100_000 + b']' * 100_000, b'{"cells": {"a": 1}, "error": null}', b'\xff',
                                   b'{"cells": [{"index": 0, "outputs": [7, "x"]}], "error": 3}'])
def test_a_forged_reply_is_an_error_never_a_crash_of_the_grader(reply):
    rerun_ = rerun._read_reply(reply, '', 1.0)
    cells = json.loads(notebook('print(1)'))['cells']
    found = rerun.compare('nb.ipynb', cells, rerun_, rerun.NotebookLimits(seconds=5))
    assert [f.finding for f in found] in (['error'], []), found
