"""`python solver.py`: every path and value checked before training, messages in the flags typed,
a missing data folder, --load, --epochs 0, a diverged run. Tests that must not train replace
Solver.train with one that fails the test, so a check that comes too late shows at once."""
import os
import urllib.request
import warnings

import pytest

import cli
import solver as solver_module
from config import parse_args

DATA = os.path.join(os.path.dirname(__file__), '..', 'data')
FOUR_FILES = ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz',
              't10k-labels-idx1-ubyte.gz')


@pytest.fixture
def no_training(monkeypatch):
    def train(self):
        raise AssertionError('training started before the command line was checked')
    monkeypatch.setattr(solver_module.Solver, 'train', train)


def run(argv, capsys):
    """(exit status, stdout, stderr) of cli.main(argv), what `python solver.py` runs."""
    try:
        cli.main(argv)
        code = 0
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize('flag, path, status, words', [
    ('--plot', 'no-such-dir/c.png', 1, 'no-such-dir does not exist'),
    ('--plot', 'c.jpgg', 2, '.jpgg is not a figure format; expected one of'),
    ('--save', 'no-such-dir/m.npz', 1, 'no-such-dir does not exist'),
    ('--save', 'm.txt', 2, 'expected a file name ending in .npz'),
    ('--load', 'missing.npz', 1, 'no such file'),
])
def test_every_output_path_and_format_is_checked_before_training(tmp_path, capsys, no_training, flag, path,
                                                                 status, words):
    target = str(tmp_path / path)
    code, _, err = run(['--data-root', DATA, flag, target], capsys)
    assert code == status and f'{flag} {target}: ' in err and words in err and 'Traceback' not in err
    assert ('usage:' in err) == (status == 2)   # a bad value shows the usage; a missing folder does not
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('argv, words', [
    (['--epochs', '-1'], '--epochs -1: expected an integer in [0, ∞)'),
    (['--lr', '0'], '--lr 0.0: expected a number in (0, ∞)'),
    (['--hidden', '0'], "argument --hidden: '0' is not a layer size: expected an integer >= 1"),
    (['--optimizer', 'adam', '--momentum', '0.9'], '--momentum: not settings of --optimizer adam, which uses --lr'),
    (['--batch-size', '60000'], '--batch-size 60000: expected at most 55000'),
    (['--epoch', '3'], 'unrecognized argument --epoch; did you mean --epochs?'),
    (['--activation', 'tanh'], '--activation acts on hidden layers: give them with --hidden'),
])
def test_messages_name_the_flag_the_user_typed(capsys, no_training, argv, words):
    code, _, err = run(['--data-root', DATA, *argv], capsys)
    assert code == 2 and words in err and 'cfg[' not in err


def test_a_missing_data_folder_is_one_message_lists_all_four_files_and_downloads_nothing(tmp_path, capsys,
                                                                                          monkeypatch):
    def offline(*args, **kwargs):
        raise AssertionError('no download into a folder the user named without --download')
    monkeypatch.setattr(urllib.request, 'urlopen', offline)
    folder = tmp_path / 'nowhere'
    code, out, err = run(['--data-root', str(folder)], capsys)
    assert code == 1 and 'usage:' not in err and err.count('\n') == 1 and out == ''
    assert all(name in err for name in FOUR_FILES) and '--download' in err
    assert not folder.exists()


def test_download_happens_into_a_named_folder_only_with_download(tmp_path, capsys, monkeypatch):
    asked = []

    def download(root, stems):
        asked.append((root, stems))
        raise FileNotFoundError(f'{root}: offline in this test')
    monkeypatch.setattr(cli, 'download', download)
    code, out, err = run(['--data-root', str(tmp_path), '--download'], capsys)
    assert code == 1 and 'offline in this test' in err and 'Downloading 4 missing MNIST files' in out
    assert asked == [(str(tmp_path), [name[:-3] for name in FOUR_FILES])]


def test_help_shows_placeholders_and_explains_every_flag(capsys):
    parser, _ = parse_args([])
    assert all(action.help for action in parser._actions)
    with pytest.raises(SystemExit):
        parse_args(['--help'])
    text = capsys.readouterr().out
    assert all(part in text for part in ('--epochs N', '--lr LR', '--data-root PATH', '--load CHECKPOINT',
                                         '--activation {relu,sigmoid,tanh}'))


def test_zero_epochs_tests_the_loaded_model_and_writes_no_curves(tmp_path, capsys):
    weights, first, second = tmp_path / 'm.npz', tmp_path / 'first.png', tmp_path / 'second.png'
    common = ['--data-root', DATA, '--hidden', '16', '--display', 'none']
    assert run([*common, '--epochs', '1', '--batch-size', '1000', '--lr', '0.2', '--save', str(weights),
                '--plot', str(first)], capsys)[0] == 0
    trained = run([*common, '--epochs', '0', '--load', str(weights), '--plot', str(second)], capsys)[1]
    untrained = run([*common, '--epochs', '0', '--plot', str(second)], capsys)[1]
    assert trained.startswith('0 epochs: nothing trained, testing the loaded model\n')
    assert untrained.startswith('0 epochs: nothing trained, testing the initial model\n')
    accuracy = [float(text.split('Test accuracy ')[1].split()[0]) for text in (trained, untrained)]
    assert accuracy[0] > 0.8 > 0.3 > accuracy[1]
    assert first.exists() and not second.exists()


def test_a_diverged_run_exits_non_zero_with_the_message_and_no_numpy_warnings(tmp_path, capsys):
    plot = tmp_path / 'c.png'
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        code, out, err = run(['--data-root', DATA, '--lr', '1e40', '--display', 'none', '--plot', str(plot)], capsys)
    assert code == 1 and 'training diverged; try a smaller learning rate' in out and 'Test loss' not in out
    assert 'training diverged; nothing tested or saved' in err and not plot.exists()


def test_a_corrupt_data_file_is_one_message_without_the_usage(tmp_path, capsys):
    for name in FOUR_FILES:
        (tmp_path / name).write_bytes(b'<html>404 Not Found</html>')
    code, _, err = run(['--data-root', str(tmp_path)], capsys)
    assert code == 1 and 'usage:' not in err and 'expected a gzip file' in err and err.count('\n') == 1


def test_ctrl_c_ends_the_command_with_status_130(capsys, monkeypatch):
    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(solver_module.Solver, 'train', interrupted)
    code, _, err = run(['--data-root', DATA], capsys)
    assert code == 130 and 'interrupted (Ctrl-C); nothing tested or saved' in err
