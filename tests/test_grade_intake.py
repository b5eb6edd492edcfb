"""The grader's intake of what students really hand in: a folder or zip holding their virtual
environment, caches, .git and data beside the case files (each made inside tmp_path)."""
import os
import shutil
import zipfile

import pytest

from teacher import grade
from teacher import handout
from teacher.intake import MAX_ENTRIES, read_submission

ROOT = handout.ROOT

CASE_FILES = ['criterion.py', 'layers.py', 'optimizer.py']
SKIPPED = {   # what the student's folder holds besides the case files and notes.md: path -> what it is
    '.venv/': 'virtual environment', 'myenv/': 'virtual environment', '__pycache__/': 'cache',
    'tests/__pycache__/': 'cache', '.ipynb_checkpoints/': 'cache', '.pytest_cache/': 'cache',
    '.git/': 'git repository', 'data/': 'data folder', 'mnist.gz': 'compressed file'}


def student_folder(root, make_venv):
    """root/alice as a student leaves it after the README's set-up, tests, notebooks and a commit."""
    alice = root / 'alice'
    (alice / 'tests').mkdir(parents=True)
    for name in CASE_FILES:
        (alice / name).write_text(f'# {name}\n')
    (alice / 'notes.md').write_text('my notes')
    make_venv(alice / '.venv', MAX_ENTRIES + 100)
    (alice / 'myenv').mkdir()            # a virtual environment under another name
    (alice / 'myenv' / 'pyvenv.cfg').write_text('home = /usr/bin\n')
    (alice / 'myenv' / 'criterion.py').write_text('# not hers\n')
    for folder in ('__pycache__', 'tests/__pycache__', '.ipynb_checkpoints', '.pytest_cache', '.git/objects', 'data'):
        (alice / folder).mkdir(parents=True)
        (alice / folder / 'layers.py').write_text('# a copy, not hers\n')
    (alice / 'data' / 'train-images-idx3-ubyte.gz').write_bytes(b'\x1f\x8b')
    (alice / 'mnist.gz').write_bytes(b'\x1f\x8b')
    return alice


def assert_only_the_case_files_taken(intake, prefix=''):
    assert intake.error == '' and intake.missing == [] and intake.refused == [], intake
    assert intake.files == {name: f'# {name}\n'.encode() for name in CASE_FILES}
    assert intake.ignored == [prefix + 'notes.md'] and not intake.over_cap
    assert intake.skipped == {prefix + path: kind for path, kind in SKIPPED.items()}
    assert intake.skipped_summary() == ('4 caches, 1 compressed file, 1 data folder, 1 git repository, '
                                        '2 virtual environments')
    assert intake.nothing_read() == ''


def test_a_folder_with_a_real_venv_caches_git_and_data_gives_its_case_files(tmp_path, make_venv):
    assert_only_the_case_files_taken(read_submission(str(student_folder(tmp_path, make_venv)), CASE_FILES))


def test_a_zip_of_such_a_folder_gives_its_case_files_too(tmp_path, make_venv):
    alice = student_folder(tmp_path, make_venv)
    with zipfile.ZipFile(tmp_path / 'alice.zip', 'w') as archive:
        for path in sorted(alice.rglob('*')):
            name = 'alice/' + path.relative_to(alice).as_posix()
            if path.is_symlink():   # as `zip -y` stores it
                link = zipfile.ZipInfo(name)
                link.external_attr = 0o120777 << 16
                archive.writestr(link, str(path.readlink()))
            elif path.is_file():
                archive.write(path, name)
        archive.writestr('__MACOSX/alice/._criterion.py', 'resource fork')
    intake = read_submission(str(tmp_path / 'alice.zip'), CASE_FILES)
    assert intake.skipped.pop('__MACOSX/') == 'macOS archive folder'
    assert_only_the_case_files_taken(intake, 'alice/')


def test_the_case_files_are_found_first_when_a_folder_holds_more_entries_than_the_cap(tmp_path):
    bob = tmp_path / 'bob'
    (bob / 'images').mkdir(parents=True)
    for i in range(MAX_ENTRIES + 10):
        (bob / 'images' / f'{i}.png').write_bytes(b'')
    for name in CASE_FILES:
        (bob / name).write_text(f'# {name}\n')
    intake = read_submission(str(bob), CASE_FILES)
    assert sorted(intake.files) == CASE_FILES and intake.missing == [] and intake.error == ''
    assert intake.over_cap and len(intake.ignored) == MAX_ENTRIES - len(CASE_FILES)


def test_an_unreadable_folder_costs_only_what_it_holds(tmp_path, monkeypatch):
    dave = tmp_path / 'dave'
    (dave / 'locked').mkdir(parents=True)
    for name in CASE_FILES:
        (dave / name).write_text(f'# {name}\n')
    scandir = os.scandir

    def refusing(path):   # as a folder without read permission does (the tests may run as root)
        if str(path).rstrip('/').endswith('locked'):
            raise PermissionError(13, 'Permission denied', str(path))
        return scandir(path)
    monkeypatch.setattr(os, 'scandir', refusing)
    intake = read_submission(str(dave), CASE_FILES)
    assert sorted(intake.files) == CASE_FILES and intake.error == ''
    assert intake.refused == [('locked/', 'could not be read: Permission denied')]


def test_a_submission_without_case_files_says_nothing_could_be_read(tmp_path, make_venv):
    make_venv(tmp_path / 'carol' / '.venv', 10)
    intake = read_submission(str(tmp_path / 'carol'), CASE_FILES)
    assert intake.files == {} and intake.skipped == {'.venv/': 'virtual environment'}
    assert intake.nothing_read() == f'none of criterion.py, layers.py, optimizer.py could be taken from {tmp_path / "carol"}'


# ---------------------------------------------------------------- graded through the CLI

def checkout_as_set_up(root, make_venv):
    """A copy of the checkout as the README's set-up leaves it: a .venv, caches, a .git."""
    copy = root / 'checkout'
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns('.git', '.venv', 'venv', '__pycache__', '.pytest_cache'))
    make_venv(copy / '.venv', MAX_ENTRIES + 100)
    for folder in ('.git/objects/00', 'tests/__pycache__', '.pytest_cache/v'):
        (copy / folder).mkdir(parents=True)
        (copy / folder / 'x').write_bytes(b'\0')
    return copy


@pytest.mark.slow
def test_a_folder_with_a_venv_and_the_checkout_get_full_marks_and_nothing_read_exits_1(tmp_path, make_venv, capsys):
    venv = tmp_path / 'venv'
    venv.mkdir()
    for name in handout.case_files(1):
        shutil.copyfile(os.path.join(ROOT, name), venv / name)
    make_venv(venv / '.venv', MAX_ENTRIES + 100)
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'notzip.zip').write_text('not a zip')
    subs = [venv, checkout_as_set_up(tmp_path, make_venv), tmp_path / 'empty', tmp_path / 'notzip.zip']
    code = grade.main([*map(str, subs), '--case', '1', '--out', str(tmp_path / 'out'), '--test-timeout', '4'])
    out, err = capsys.readouterr()
    full = sum(grade.POINTS[1].values())
    assert f'venv: {full:g} / {full:g}\n' in out and f'checkout: {full:g} / {full:g}\n' in out, out + err
    feedback = (tmp_path / 'out' / 'checkout.txt').read_text()
    assert 'Skipped, as no student hands them in: 2 caches, 1 data folder, 1 git repository, 1 virtual environment' \
        in feedback and '.venv' not in feedback
    assert code == 1 and 'error: venv' not in err and 'error: checkout' not in err
    assert (f'error: empty scored 0 because nothing could be read: none of {", ".join(handout.case_files(1))} '
            'could be taken from') in err
    assert 'error: notzip scored 0 because nothing could be read: ' in err and 'neither a folder nor a .zip' in err
