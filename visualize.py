"""Every figure of the project. Functions take plain lists and arrays and return a Figure.

Figures are built with `matplotlib.figure.Figure`, not pyplot, so they hold no global state:
in a notebook the returned figure is shown once, as the cell's result; a script saves it with
`fig.savefig(path)`.
"""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

if not plt.get_fignums():
    # Load the backend now: in Jupyter this is what makes a returned Figure display as an image.
    plt.switch_backend(matplotlib.get_backend())


def _draw_curves(ax, runs, ylabel):
    """One line per run against the epoch (1, 2, ...) on `ax`; runs: {label: values}."""
    for label, values in runs.items():
        ax.plot(np.arange(1, len(values) + 1), values, '-o', markersize=3, label=label)
    ax.set_xlabel('epoch')
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.xaxis.get_major_locator().set_params(integer=True)


def plot_loss_and_acc(loss_and_acc_dict):
    """Loss and accuracy against the epoch for every run: {label: [loss_list, acc_list], ...}."""
    fig = Figure(figsize=(11, 4), layout='constrained')
    ax_loss, ax_acc = fig.subplots(1, 2)
    _draw_curves(ax_loss, {k: v[0] for k, v in loss_and_acc_dict.items()}, 'training loss')
    _draw_curves(ax_acc, {k: v[1] for k, v in loss_and_acc_dict.items()}, 'training accuracy')
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
