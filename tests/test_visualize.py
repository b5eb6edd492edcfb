"""Every figure of visualize.py on tiny synthetic input: a Figure with the expected axes and images."""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from matplotlib.figure import Figure

import visualize as vis

ROOT = os.path.join(os.path.dirname(__file__), '..')


def test_plot_loss_and_acc_and_curves_keep_their_contract():
    fig = vis.plot_loss_and_acc({'a': [[1.0, 0.5], [0.8, 0.9]], 'b': [[1.1, 0.6], [0.7, 0.85]]})
    assert isinstance(fig, Figure) and len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    assert len(vis.plot_curves({'a': [0.1, 0.2, 0.3]}, 'validation accuracy').axes) == 1


def test_plot_panels_draws_the_mean_of_seeds_with_a_band():
    seeds = np.array([[0.8, 0.9, 0.95], [0.82, 0.88, 0.93]])
    fig = vis.plot_panels({'accuracy': {'train': seeds, 'single': [0.7, 0.8, 0.9]}, 'loss': {'train': [1.0, 0.5, 0.4]}})
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 1   # one band: only the (S, E) run has one
    assert np.allclose(ax.lines[0].get_ydata(), seeds.mean(axis=0))


def test_plot_sweep_one_axes_per_panel_log_x_and_the_selected_mark():
    x = [0.001, 0.01, 0.1]
    mean_std = (np.array([0.8, 0.9, 0.85]), np.array([0.01, 0.0, 0.02]))
    fig = vis.plot_sweep(x, {'accuracy': {'train': mean_std, 'validation': mean_std}, 'loss': {'train': mean_std}},
                         'learning rate', mark=0.01)
    assert len(fig.axes) == 2 and all(ax.get_xscale() == 'log' for ax in fig.axes)
    assert any(list(line.get_xdata()) == [0.01, 0.01] for line in fig.axes[0].lines)


def test_plot_time_to_accuracy_marks_the_first_epoch_over_the_threshold():
    fig = vis.plot_time_to_accuracy({'fast': ([1, 2, 3], [0.85, 0.92, 0.93]), 'never': ([1, 2], [0.5, 0.6])}, 0.9)
    ax, = fig.axes
    stars = [line for line in ax.lines if line.get_marker() == '*']
    assert len(stars) == 1 and list(stars[0].get_xdata()) == [2.0]


def test_plot_weights_ten_28x28_images(rng):
    fig = vis.plot_weights(rng.standard_normal((784, 10)))
    images = [im for ax in fig.axes for im in ax.images]
    assert len(fig.axes) == 10 and len(images) == 10 and images[0].get_array().shape == (28, 28)
    with pytest.raises(ValueError, match=r'W of shape \(10, 784\): expected \(784, K\)'):
        vis.plot_weights(np.zeros((10, 784)))


def test_plot_confusion_matrix_writes_every_count():
    matrix = np.array([[5, 1, 0], [0, 7, 2], [1, 0, 9]])
    fig = vis.plot_confusion_matrix(matrix)
    ax, = fig.axes
    assert len(ax.images) == 1 and len(ax.texts) == 9 and '4 errors in 25' in ax.get_title()
    with pytest.raises(ValueError, match=r'shape \(2, 3\): expected \(K, K\)'):
        vis.plot_confusion_matrix(np.zeros((2, 3)))


def test_plot_misclassified_shows_only_the_errors_with_true_and_predicted_labels(rng):
    images = rng.integers(0, 256, (6, 784), dtype=np.uint8)
    labels, predictions = np.array([1, 2, 3, 4, 5, 6]), np.array([1, 7, 3, 0, 5, 6])
    fig = vis.plot_misclassified(images, labels, predictions)
    assert len(fig.axes) == 2 and [ax.get_title() for ax in fig.axes] == ['2 → 7', '4 → 0']
    assert len(vis.plot_misclassified(images, labels, labels).axes) == 0   # no error: an empty page
    assert len(vis.plot_misclassified(np.zeros((40, 28, 28)), np.zeros(40, int), np.ones(40, int), 12).axes) == 12


def test_plot_table_holds_every_cell():
    fig = vis.plot_table(['a', 'b'], [['1', '2'], ['3', '4']], title='t', notes='n')
    ax, = fig.axes
    assert len(ax.tables) == 1 and len(ax.tables[0].get_celld()) == 6   # header + 2 rows, 2 columns


def test_plot_train_val_draws_training_and_validation_on_the_same_axes():
    history = {'train_loss': [1.0, 0.5, 0.4], 'val_loss': [0.9, 0.6, 0.5],
               'train_acc': [0.8, 0.9, 0.92], 'val_acc': [0.85, 0.88, 0.9]}
    fig = vis.plot_train_val(history, 'acc', 'test accuracy 0.9123')
    ax_loss, ax_acc = fig.axes
    assert [line.get_label() for line in ax_loss.lines] == ['training', 'validation']
    assert [list(line.get_ydata()) for line in ax_acc.lines] == [history['train_acc'], history['val_acc']]
    assert ax_acc.get_ylabel() == 'accuracy' and fig.get_suptitle() == 'test accuracy 0.9123'


def test_train_val_svg_puts_each_curve_inside_its_frame_in_order():
    history = {'train_loss': [1.0, 0.5, 0.25], 'val_loss': [0.75, 0.5, 0.5],
               'train_acc': [0.8, 0.9, 0.92], 'val_acc': [0.85, 0.88, float('nan')]}
    svg = vis.train_val_svg(history, 'acc', size=(330, 200))
    curves = [[tuple(map(float, p.split(','))) for p in points.split()]
              for points in re.findall(r'<polyline points="([^"]*)"', svg)]
    frames = [tuple(map(float, f)) for f in re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
                                                        r'height="([\d.]+)"', svg)]
    assert [len(c) for c in curves] == [3, 3, 3, 2]   # a NaN (an epoch not yet validated) is left out
    for curve, (x, y, w, h) in zip(curves, [frames[0]] * 2 + [frames[1]] * 2):
        assert all(x <= px <= x + w and y <= py <= y + h for px, py in curve)
        assert curve[0][0] == x   # epoch 1 on the frame's left edge
    assert curves[0][0][1] < curves[0][1][1] < curves[0][2][1]   # the falling loss drawn falling
    assert '>accuracy<' in svg and '>loss<' in svg and '— train<' in svg and '— validation<' in svg


def test_train_val_svg_labels_a_few_round_ticks_whole():
    history = {'train_loss': [0.0031, 0.0012, 0.000689], 'val_loss': [0.0029, 0.0015, 0.0011],
               'train_acc': [0.8, 0.9, 0.92], 'val_acc': [0.85, 0.88, 0.9]}
    svg = vis.train_val_svg(history, 'acc', size=(330, 200))
    labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end">([\d.]+)</text>', svg)
    loss = [(float(x), text) for x, text in labels if float(x) < 330]
    assert len(loss) >= 3 and all(len(text.rstrip('0')) <= 6 for _, text in loss)   # round: 0.0008, not 0.000689
    assert all(x - 7 * len(text) >= 0 for x, text in loss)   # the widest label fits left of its frame


def test_importing_visualize_leaves_the_backend_and_pyplot_alone():
    code = ('import sys, matplotlib; matplotlib.use("svg"); import visualize; '
            'visualize.plot_curves({"a": [1, 2]}, "y").savefig(sys.argv[1]); '
            'print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)')
    env = {key: value for key, value in os.environ.items() if key != 'MPLBACKEND'}
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, '-c', code, os.path.join(folder, 'a.png')], capture_output=True,
                              text=True, cwd=ROOT, env=env)
    assert done.returncode == 0 and done.stdout.split() == ['svg', 'False'], done.stderr


def test_a_returned_figure_shows_in_ipython_without_pyplot():
    shell = pytest.importorskip('IPython.core.interactiveshell').InteractiveShell.instance()
    formats, _ = shell.display_formatter.format(vis.plot_curves({'a': [0.1, 0.2]}, 'accuracy'))
    assert formats['image/png'].startswith(b'\x89PNG')
