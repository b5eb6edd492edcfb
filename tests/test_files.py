"""files.write_atomic: the one way the project writes a file."""
import os

import pytest

from files import write_atomic


def test_a_new_file_gets_the_users_usual_permissions(tmp_path):
    umask = os.umask(0o022)   # a known umask for the test; restored below
    try:
        write_atomic(tmp_path / 'curves.png', lambda file: file.write(b'png'))
    finally:
        os.umask(umask)
    assert (tmp_path / 'curves.png').read_bytes() == b'png'
    assert (tmp_path / 'curves.png').stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    (tmp_path / 'grades.csv').write_text('old')

    def fail(file):
        file.write('half')
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / 'grades.csv', fail, text=True)
    assert os.listdir(tmp_path) == ['grades.csv'] and (tmp_path / 'grades.csv').read_text() == 'old'


def test_git_ignores_what_the_project_writes():
    """Weights, the CLI's curves, the report folder and unfinished writes never show up in `git status`."""
    import shutil
    import subprocess
    root = os.path.join(os.path.dirname(__file__), '..')
    if shutil.which('git') is None or not os.path.exists(os.path.join(root, '.git')):
        pytest.skip('not a git checkout')
    written = ['m.npz', 'runs/best.npz', 'curves.png', 'report_out/report.pdf', '.m.npz.1a2b3c4d.part',
               '.ipynb_checkpoints/mlp-checkpoint.ipynb', '.venv/pyvenv.cfg']
    result = subprocess.run(['git', 'check-ignore', '--no-index', *written], cwd=root, capture_output=True, text=True)
    assert sorted(result.stdout.split()) == sorted(written)
