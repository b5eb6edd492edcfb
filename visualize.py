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


def plot_loss_and_acc(loss_and_acc_dict):
    """Loss and accuracy against the epoch for every run: {label: [loss_list, acc_list], ...}."""
    fig = Figure(figsize=(11, 4), layout='constrained')
    ax_loss, ax_acc = fig.subplots(1, 2)
    for label, (losses, accs) in loss_and_acc_dict.items():
        epochs = np.arange(1, len(losses) + 1)
        ax_loss.plot(epochs, losses, '-o', markersize=3, label=label)
        ax_acc.plot(epochs, accs, '-o', markersize=3, label=label)
    for ax, name in ((ax_loss, 'loss'), (ax_acc, 'accuracy')):
        ax.set_xlabel('epoch')
        ax.set_ylabel(f'training {name}')
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    return fig
