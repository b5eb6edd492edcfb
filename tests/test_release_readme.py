"""The student release's README (teacher/release_readme.py through teacher/handout.py) in both languages, and the
release's report stopping at a TODO left undone (each release made inside tmp_path)."""
import os
import re
import subprocess
import sys

import pytest

from teacher import handout
from teacher import release_readme
from teacher.intake import read_submission

ROOT = handout.ROOT
STOP = re.compile(r'python -m report: stopped: \w+\.py: TODO [\w.]+ — not implemented yet')
HAN = re.compile('[\u4e00-\u9fff]')


def todo_functions(case):
    """'file: function' of every region the case leaves to the student, read from the markers."""
    return [(name, function) for name in handout.case_files(case)
            for _, _, cases, function in handout.regions(os.path.join(ROOT, name)) if case in cases]


def commands(readme):
    """The lines of the README's code blocks, each without its comment."""
    return [line.split('   #')[0].strip() for line in readme.splitlines() if line.startswith('    ')]


@pytest.mark.parametrize('lang', release_readme.LANGS)
@pytest.mark.parametrize('case', handout.CASES)
def test_the_readme_names_every_todo_and_the_set_up_check_report_and_hand_in_steps(case, lang):
    readme = handout.student_readme(case, lang=lang)
    files, notebook = handout.case_files(case), release_readme.MAIN_NOTEBOOK[case]
    for name, function in todo_functions(case):
        assert f'| `{name}` | `{function}` |' in readme, function
    for command in ('python3 -m venv .venv', 'source .venv/bin/activate', 'pip install -r requirements.txt',
                    f'jupyter notebook {notebook}', 'python -m pytest',
                    f'python -m pytest tests/test_case{case}.py', 'python -m report --quick', 'python -m report',
                    f'python -m zipfile -c case{case}.zip {" ".join(files)} {notebook} report.pdf'):
        assert command in commands(readme), command
    assert bool(STOP.search(readme)) == (case not in release_readme.REPORT_GIVEN) and '.venv\\Scripts\\activate' in readme
    headings = [line for line in readme.splitlines() if line.startswith('## ')]
    assert [h.split()[1] for h in headings if h[3].isdigit()] == ['1.', '2.', '3.', '4.', '5.', '6.']
    assert bool(HAN.search(''.join(headings))) == (lang == 'zh')
    assert readme.rstrip().endswith(release_readme.TEXT['feedback'][lang])   # what the feedback says, last


@pytest.mark.parametrize('case', handout.CASES)
def test_the_given_rooms_are_the_release_s_own_and_the_report_is_named_by_its_package(case):
    given = [line for line in handout.student_readme(case).splitlines() if line.startswith('- `')]
    assert any(line.startswith('- `report/`: The report wing') for line in given)
    assert not any(line.startswith(('- `report.py`', '- `handout.py`', '- `grade.py`')) for line in given)


@pytest.mark.parametrize('case', handout.CASES)
def test_both_languages_give_the_same_commands_files_and_todos(case):
    english, chinese = (handout.student_readme(case, lang=lang) for lang in ('en', 'zh'))
    assert commands(english) == commands(chinese)
    assert re.findall('`[^`]+`', english.split('## 2.')[1]) == re.findall('`[^`]+`', chinese.split('## 2.')[1])
    assert not HAN.search(english)


def test_the_cli_writes_the_chinese_readme_and_refuses_another_language(tmp_path, capsys):
    handout.main([str(tmp_path / 'zh'), '--case', '2', '--lang', 'zh'])
    assert (tmp_path / 'zh' / 'README.md').read_text(encoding='utf-8') == handout.student_readme(2, lang='zh')
    with pytest.raises(SystemExit):
        handout.main([str(tmp_path / 'fr'), '--case', '2', '--lang', 'fr'])
    assert "invalid choice: 'fr'" in capsys.readouterr().err and not (tmp_path / 'fr').exists()


@pytest.mark.parametrize('case', handout.CASES)
def test_the_release_report_stops_at_a_todo_by_name_and_its_hand_in_command_takes_the_files(case, tmp_path):
    out = tmp_path / 'release'
    handout.make_release(out, case)
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', MPLBACKEND='Agg')
    if case != 3:   # the report trains softmax regression and MLPs: case 3's TODOs (the ConvNet) are not on its path
        done = subprocess.run([sys.executable, '-m', 'report', '--quick', '--out', str(tmp_path / 'report')], cwd=out,
                              env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1 and STOP.search(done.stderr), done.stdout + done.stderr
        assert 'Traceback' not in done.stderr and not (tmp_path / 'report').exists()
    zip_command = next(c for c in commands((out / 'README.md').read_text(encoding='utf-8')) if 'zipfile' in c)
    subprocess.run([sys.executable, *zip_command.split()[1:]], cwd=out, check=True, timeout=60)
    intake = read_submission(str(out / f'case{case}.zip'), handout.case_files(case))
    assert sorted(intake.files) == handout.case_files(case) and intake.ignored == intake.refused == []
