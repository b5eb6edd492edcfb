"""The teacher's wing in its place: teacher/ holds the release and grading rooms, the root holds only
the two shims of the old commands, which say where the command moved and run it."""
import ast
import glob
import os
import subprocess
import sys

import pytest

from conftest import ROOT

ROOMS = {'__init__.py', 'handout.py', 'markers.py', 'release_readme.py', 'grade.py', 'intake.py', 'feedback.py',
         'plugin.py', 'run.py', 'remote.py', 'worker.py', 'sandbox.py', 'classrun.py', 'gradebook.py', 'outputs.py',
         'findings.py', 'points.py'}


def test_the_teacher_rooms_live_in_their_package_and_none_at_the_root():
    at_root = [os.path.basename(p) for pattern in ('grade_*.py', 'handout_*.py', 'sandbox*.py', 'release_*.py')
               for p in glob.glob(os.path.join(ROOT, pattern))]
    assert at_root == [] and not os.path.exists(os.path.join(ROOT, 'tests_hidden'))
    assert ROOMS <= set(os.listdir(os.path.join(ROOT, 'teacher')))
    assert {'conftest.py', 'test_hidden_case1.py', 'test_hidden_case2.py'} <= set(
        os.listdir(os.path.join(ROOT, 'teacher', 'tests_hidden')))


@pytest.mark.parametrize('shim', ['handout.py', 'grade.py'])
def test_the_root_shims_only_notify_and_delegate(shim):
    with open(os.path.join(ROOT, shim), encoding='utf-8') as file:
        tree = ast.parse(file.read())
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    assert len(tree.body) <= 5 and isinstance(tree.body[-1], ast.If)   # docstring, imports, the __main__ block
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    assert imported <= {'runpy', 'shlex', 'sys'}


@pytest.mark.parametrize('program', ['handout', 'grade'])
@pytest.mark.parametrize('old', [True, False])
def test_the_old_command_says_where_it_moved_and_runs_it(program, old):
    command = [f'{program}.py'] if old else ['-m', f'teacher.{program}']
    done = subprocess.run([sys.executable, *command, '--help'], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (f'moved: python -m teacher.{program} --help\n' if old else '')
    assert done.stdout.startswith(f'usage: python -m teacher.{program} ') and '--case' in done.stdout


def test_importing_the_wing_loads_none_of_its_rooms():
    code = 'import sys, teacher; print(sorted(m for m in sys.modules if m.startswith("teacher.")))'
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == '[]', done.stderr
