"""Every figure of the project. Functions take plain lists and arrays and return a Figure.

Figures are built without pyplot, so they hold no global state and importing this module leaves
the user's backend alone: a script saves a figure with `fig.savefig(path)`; in a notebook the
returned figure is shown once, as the cell's result, through its own `_repr_png_` (IPython calls it
when no backend has registered a formatter for figures, e.g. when pyplot was never imported).
"""
import io

import numpy as np
from matplotlib import figure as mpl_figure

from criterion import METRIC_NAMES
from svg_curves import train_val_svg  # noqa: F401 (the live view's curves, drawn without matplotlib's figure)


class Figure(mpl_figure.Figure):
    """A matplotlib Figure that IPython can show by itself, as a PNG, whatever the backend."""

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format='png', dpi=80, bbox_inches='tight')
        return buffer.getvalue()


def _draw_curves(ax, runs, ylabel):
    """One line per run against the epoch (1, 2, ...) on `ax`; runs: {label: values}.

    values (E,) is drawn as is; values (S, E), one row per seed, as the mean with a ±std band.
    """
    for label, values in runs.items():
        values = np.asarray(values, dtype=float)
        mean = values if values.ndim == 1 else values.mean(axis=0)
        epochs = np.arange(1, len(mean) + 1)
        line, = ax.plot(epochs, mean, '-o', markersize=3, label=label)
        if values.ndim == 2 and len(values) > 1:
            std = values.std(axis=0, ddof=1)
            ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    ax.set_xlabel('epoch')
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.xaxis.get_major_locator().set_params(integer=True)
    if max((np.shape(v)[-1] for v in runs.values()), default=0) == 1:   # one epoch: not a 0.95-1.05 axis
        ax.set_xlim(0.5, 1.5)
        ax.set_xticks([1])


def plot_loss_and_acc(loss_and_acc_dict):
    """Loss and accuracy against the epoch for every run: {label: [loss_list, acc_list], ...}."""
    fig = Figure(figsize=(11, 4), layout='constrained')
    ax_loss, ax_acc = fig.subplots(1, 2)
    _draw_curves(ax_loss, {k: v[0] for k, v in loss_and_acc_dict.items()}, 'training loss')
    _draw_curves(ax_acc, {k: v[1] for k, v in loss_and_acc_dict.items()}, 'training accuracy')
    return fig


def plot_train_val(history, metric='acc', title=None):
    """Training and validation on the same axes: loss on the left, accuracy (or MSE) on the right.

    history: plain lists per epoch under 'train_loss', 'val_loss', 'train_<metric>',
    'val_<metric>' (e.g. `solver.history`); a validation list may be one shorter while its epoch
    is being validated. title: e.g. the test accuracy.
    """
    fig = Figure(figsize=(10, 3.8), layout='constrained')
    names = {'loss': 'loss', metric: METRIC_NAMES.get(metric, metric)}
    for ax, (key, name) in zip(fig.subplots(1, 2), names.items()):
        _draw_curves(ax, {'training': history['train_' + key], 'validation': history['val_' + key]}, name)
    if title:
        fig.suptitle(title)
    return fig


def plot_curves(runs, ylabel, title=None):
    """Any per-epoch quantity of several runs in one figure: {label: values}, e.g. validation accuracy."""
    fig = Figure(figsize=(6, 4), layout='constrained')
    ax = fig.subplots()
    _draw_curves(ax, runs, ylabel)
    if title:
        ax.set_title(title)
    return fig


def plot_gradient_norms(norms_by_run):
    """‖∂E/∂W‖ of each layer, input side first, for several networks (log scale).

    norms_by_run: {label: (T, L) records of L per-layer norms, e.g. solver.history['grad_norms']}.
    The mean over the T records is drawn. With sigmoid or tanh the norms shrink towards the input
    as depth grows (each layer multiplies δ by f' ≤ 1/4 or ≤ 1); with ReLU they stay level.
    """
    fig = Figure(figsize=(6, 4), layout='constrained')
    ax = fig.subplots()
    for label, records in norms_by_run.items():
        norms = np.mean(np.atleast_2d(records), axis=0)
        ax.semilogy(np.arange(1, len(norms) + 1), norms, '-o', label=label)
    ax.set_xlabel('layer (1 = next to the input)')
    ax.set_ylabel('mean ‖grad W‖')
    ax.grid(alpha=0.3, which='both')
    ax.legend()
    ax.xaxis.get_major_locator().set_params(integer=True)
    return fig


def plot_panels(panels, ylabel=None):
    """Side-by-side per-epoch curves: {panel title: {label: values (E,) or (S, E)}}.

    With (S, E) values (S seeds) each line is the mean over seeds with a ±std band, so one lucky
    seed does not pass for the rule. ylabel: shared y label; None uses each panel's title.
    """
    fig = Figure(figsize=(5 * len(panels), 4), layout='constrained')
    for ax, (title, runs) in zip(np.atleast_1d(fig.subplots(1, len(panels))), panels.items()):
        _draw_curves(ax, runs, ylabel or title)
        ax.set_title(title)
    return fig


def plot_sweep(x, panels, xlabel, logx=True, mark=None):
    """Final values against a swept setting, e.g. accuracy against the learning rate.

    x: the K settings; panels: {y label: {label: (mean (K,), std (K,))}}, one axes per panel.
    logx for grids spaced by factors (learning rates, batch sizes); mark: the x value that was
    selected (on the validation split), drawn as a dashed line.
    """
    x = np.asarray(x, dtype=float)
    fig = Figure(figsize=(5.5 * len(panels), 4), layout='constrained')
    for ax, (ylabel, series) in zip(np.atleast_1d(fig.subplots(1, len(panels))), panels.items()):
        for label, (mean, std) in series.items():
            ax.errorbar(x, mean, yerr=std, fmt='-o', markersize=4, capsize=3, label=label)
        if logx:
            ax.set_xscale('log')
            ax.minorticks_off()
        ax.set_xticks(x, [f'{v:g}' for v in x])
        if mark is not None:
            ax.axvline(mark, color='gray', linestyle='--', label=f'selected ({mark:g})')
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


def plot_time_to_accuracy(runs, threshold):
    """Validation accuracy against training time; where each run first reaches `threshold`.

    runs: {label: (seconds (E,) cumulative training time after each epoch, accuracy (E,))}.
    A run that trains faster per epoch but needs more epochs can still lose: this shows both.
    """
    fig = Figure(figsize=(7, 4.5), layout='constrained')
    ax = fig.subplots()
    for label, (seconds, acc) in runs.items():
        seconds, acc = np.asarray(seconds, dtype=float), np.asarray(acc, dtype=float)
        line, = ax.plot(seconds, acc, '-o', markersize=3, label=label)
        reached = np.flatnonzero(acc >= threshold)
        if len(reached):
            t = seconds[reached[0]]
            ax.plot(t, acc[reached[0]], '*', markersize=14, color=line.get_color())
            ax.annotate(f'{t:.1f} s', (t, acc[reached[0]]), textcoords='offset points', xytext=(4, -12))
    ax.axhline(threshold, color='gray', linestyle='--', label=f'threshold {threshold:g}')
    ax.set_xlabel('training time (s, cumulative, validation excluded)')
    ax.set_ylabel('validation accuracy')
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_weights(W, image_shape=(28, 28)):
    """Each class's weight vector (a column of W (784, K)) as a 28x28 image, red + / blue -.

    Softmax regression scores a digit by the dot product x·w_k, so w_k looks like a template of
    digit k: positive where its strokes are, negative where other digits' strokes are.
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != np.prod(image_shape):
        raise ValueError(f'W of shape {W.shape}: expected ({np.prod(image_shape)}, K), '
                         f'one column of {image_shape[0]}x{image_shape[1]} weights per class')
    columns = min(W.shape[1], 5)
    rows = -(-W.shape[1] // columns)
    fig = Figure(figsize=(2 * columns, 2.2 * rows), layout='constrained')
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for k, ax in enumerate(axes):
        if k >= W.shape[1]:
            ax.remove()
            continue
        scale = np.abs(W[:, k]).max() or 1.0
        ax.imshow(W[:, k].reshape(image_shape), cmap='RdBu_r', vmin=-scale, vmax=scale)
        ax.set_title(f'class {k}')
        ax.axis('off')
    return fig


def plot_confusion_matrix(matrix):
    """Counts of (true class, predicted class) in a (K, K) matrix, rows = true digit.

    Every cell shows its count; colour marks only the errors (off the diagonal), which a
    colour scale dominated by the large diagonal would hide.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f'confusion matrix of shape {matrix.shape}: expected (K, K)')
    k = len(matrix)
    fig = Figure(figsize=(7, 6), layout='constrained')
    ax = fig.subplots()
    errors = np.ma.masked_array(matrix, mask=np.eye(k, dtype=bool))
    ax.imshow(errors, cmap='Reds')
    dark = errors.max() / 2 if errors.count() else np.inf
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha='center', va='center', fontsize=8,
                fontweight='bold' if i == j else 'normal', color='white' if i != j and count > dark else 'black')
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class')
    ax.set_title(f'{matrix.sum() - np.trace(matrix)} errors in {matrix.sum()} (colour: errors only)')
    return fig


def plot_misclassified(images, labels, predictions, max_images=32, columns=8):
    """The first `max_images` wrongly classified images, titled 'true → predicted'.

    images (N, 784) or (N, 28, 28), labels and predictions (N,). Looking at the errors shows
    which are the model's fault and which digits a person would misread too.
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    wrong = np.flatnonzero(labels != predictions)
    shown = wrong[:max_images]
    rows = max(1, -(-len(shown) // columns))
    fig = Figure(figsize=(1.3 * columns, 1.5 * rows + 0.5), layout='constrained')
    fig.suptitle(f'misclassified: {len(wrong)} of {len(labels)} (first {len(shown)}), true → predicted')
    for slot, ax in enumerate(fig.subplots(rows, columns, squeeze=False).ravel()):
        if slot >= len(shown):
            ax.remove()
            continue
        i = shown[slot]
        ax.imshow(np.asarray(images[i]).reshape(28, 28), cmap='gray_r')
        ax.set_title(f'{labels[i]} → {predictions[i]}', fontsize=9)
        ax.axis('off')
    return fig


def plot_table(columns, rows, title=None, notes=None):
    """A table of text as a figure (a report page): columns (C,) headers, rows [(C,) cells, ...]."""
    fig = Figure(figsize=(11, 0.6 + 0.32 * (len(rows) + 1) + (0.3 if notes else 0)), layout='constrained')
    ax = fig.subplots()
    ax.axis('off')
    table = ax.table(cellText=[[str(c) for c in row] for row in rows] or None, colLabels=columns,
                     loc='upper center', cellLoc='left')
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.scale(1, 1.2)
    table.auto_set_column_width(range(len(columns)))
    if title:
        ax.set_title(title, fontsize=12, loc='left')
    if notes:
        fig.text(0.01, 0.01, notes, fontsize=8, va='bottom', wrap=True)
    return fig
