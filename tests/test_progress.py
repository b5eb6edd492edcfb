"""progress.py: the course's lines byte for byte, silence, the live view in a pipe, a terminal and Jupyter."""
import io
import re
import subprocess
import sys

import pytest

import progress
from solver import Solver

# what the course's Solver printed for this run before the display had its own module
COURSE_LINES = """\
Epoch [0][2]\t Batch [0][4]\t Training Loss 1.0945\t Accuracy 0.2000
Epoch [0][2]\t Batch [2][4]\t Training Loss 1.0536\t Accuracy 0.5000

Epoch [0]\t Average training loss 1.0714\t Average training accuracy 0.4250

Epoch [0]\t Average validation loss 1.1089\t Average validation accuracy 0.3000

Epoch [1][2]\t Batch [0][4]\t Training Loss 0.9747\t Accuracy 0.7000
Epoch [1][2]\t Batch [2][4]\t Training Loss 0.8448\t Accuracy 0.8000

Epoch [1]\t Average training loss 0.9294\t Average training accuracy 0.7000

Epoch [1]\t Average validation loss 1.1208\t Average validation accuracy 0.3000

"""


def tiny_solver(data, **cfg):
    return Solver({'data': data, 'num_classes': 3, 'max_epoch': 2, 'batch_size': 10, 'display_freq': 2,
                   'learning_rate': 0.1, 'dtype': 'float64', **cfg})


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_print_display_gives_the_course_lines_byte_for_byte(tiny_data, capsys):
    tiny_solver(tiny_data).train()
    assert capsys.readouterr().out == COURSE_LINES


@pytest.mark.parametrize('cfg', [{'display': 'none'}, {'verbose': False}, {'verbose': False, 'display': 'live'}])
def test_none_and_verbose_false_are_silent(tiny_data, capsys, cfg):
    tiny_solver(tiny_data, **cfg).train()
    assert capsys.readouterr().out == ''


@pytest.mark.filterwarnings('ignore::RuntimeWarning')   # the overflow that makes the run diverge
@pytest.mark.parametrize('cfg', [{}, {'display': 'live'}, {'display': 'none'}, {'verbose': False}])
def test_a_stop_is_shown_in_every_mode(tiny_data, capsys, cfg):
    solver = tiny_solver(tiny_data, learning_rate=1e38, dtype='float32', **cfg)
    solver.train()
    out = capsys.readouterr().out
    assert solver.stopped == 'diverged' and out.count('Training stopped: loss became') == 1


def test_live_in_a_pipe_writes_one_plain_line_per_epoch(tiny_data, capsys):
    solver = tiny_solver(tiny_data, display='live', max_epoch=3)
    solver.train()
    lines = capsys.readouterr().out.splitlines()
    h = solver.history
    assert len(lines) == 3 and '\r' not in ''.join(lines)
    assert lines[2].startswith(f"epoch 3/3 [{'#' * 20}] train loss {h['train_loss'][2]:.4f} acc {h['train_acc'][2]:.4f} "
                               f"| val loss {h['val_loss'][2]:.4f} acc {h['val_acc'][2]:.4f} | ")
    assert re.search(r'\| [\d,]+ samples/s, \d+(\.\d+)? m?s$', lines[2])   # ms when short


def test_live_names_a_regression_metric_mse():
    pipe = io.StringIO()
    display = progress.make_display('live', 'mean squared error', 50, pipe)
    display.start(0, 1, 2, 20)
    for iteration in range(2):
        display.batch(0, iteration, 0.5, 0.25, 10)
    display.train_epoch(0, 0.5, 0.25, 0.1)
    display.val_epoch(0, 0.4, 0.2)
    assert pipe.getvalue().startswith(f"epoch 1/1 [{'#' * 20}] train loss 0.5000 mse 0.2500 | val loss 0.4000 mse 0.2000 | ")
    assert display.curves == {'train_loss': [0.5], 'train_mse': [0.25], 'val_loss': [0.4], 'val_mse': [0.2]}


def test_live_in_a_terminal_rewrites_its_line_in_place(tiny_data, monkeypatch):
    monkeypatch.setattr(progress, 'REDRAW_EVERY', 0.0)   # redraw after every batch
    terminal = FakeTerminal()
    solver = tiny_solver(tiny_data, display='live')
    solver.display = progress.make_display('live', 'accuracy', 2, terminal)
    solver.train()
    lines = terminal.getvalue().split('\n')
    assert len(lines) == 3 and lines[2] == ''   # one line per epoch, each ended once
    updates = lines[0].split('\r')[1:]
    assert len(updates) == 5   # 4 batches, then the epoch's summary
    assert re.fullmatch(r'epoch 1/2 \[#{10}-{10}\] 2/4 loss \d\.\d{4} acc \d\.\d{4} \| [\d,]+ samples/s \| '
                        r'\d:\d\d left *', updates[1])   # padded over a longer line before
    assert 'val loss' in updates[-1] and len(updates[-1]) >= max(map(len, updates))   # overwrites all


def test_live_in_jupyter_updates_one_bar_and_redraws_the_curves(tiny_data, monkeypatch):
    pytest.importorskip('IPython')
    import IPython.display
    shown = []

    class Handle:
        def update(self, obj, raw=False):
            shown.append(('update', obj, raw))

    def display(obj, raw=False, display_id=False):
        shown.append(('display', obj, raw))
        return Handle()
    monkeypatch.setattr(IPython.display, 'display', display)
    monkeypatch.setattr(progress, 'in_notebook', lambda: True)
    monkeypatch.setattr(progress, 'REDRAW_EVERY', 0.0)   # redraw after every batch and epoch
    solver = tiny_solver(tiny_data, display='live', max_epoch=3)
    solver.train()
    assert all(raw for _, _, raw in shown)   # mime bundles, each with its plain-text stand-in
    bars = [(kind, obj) for kind, obj, _ in shown if 'text/html' in obj]
    figures = [(kind, obj) for kind, obj, _ in shown if 'image/svg+xml' in obj]
    assert len(bars) + len(figures) == len(shown) and len(bars) >= 3 * 4
    assert [kind for kind, _ in bars] == ['display'] + ['update'] * (len(bars) - 1)
    html, text = bars[-1][1]['text/html'], bars[-1][1]['text/plain']
    assert html.count('<progress') == 1 and '[#' not in html and '<progress value="1" max="1"' in html
    assert text.startswith('epoch 3/3 train loss ') and '<' not in text   # readable where HTML is not shown
    assert [kind for kind, _ in figures] == ['display', 'update', 'update']
    h = solver.history
    assert figures[-1][1]['text/plain'].splitlines()[0] == 'train loss by epoch: ' + ', '.join(
        f'{v:.4f}' for v in h['train_loss'])
    curves = re.findall(r'<polyline points="([^"]*)"', figures[-1][1]['image/svg+xml'])
    assert len(curves) == 4 and all(len(points.split()) == 3 for points in curves)   # 2 panels x (train, val)


def test_plain_python_never_imports_ipython():
    code = 'import sys, progress; assert not progress.in_notebook(); print("IPython" in sys.modules)'
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd='.')
    assert done.returncode == 0 and done.stdout.strip() == 'False', done.stderr


def test_unknown_display_is_named():
    with pytest.raises(ValueError, match=r"cfg\['display'\] = 'fancy': expected one of"):
        Solver({'display': 'fancy'})


def test_a_shorter_status_line_blanks_out_the_longer_one_before_it():
    terminal = FakeTerminal()
    line = progress.StatusLine(terminal)
    line.show('epoch 1/2 long text', 1, 2, force=True)
    line.show('short', 2, 2, force=True)
    line.end()
    assert line.mode == 'terminal' and terminal.getvalue() == '\repoch 1/2 long text\rshort' + ' ' * 14 + '\n'
