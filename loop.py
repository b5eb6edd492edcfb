"""The pieces of the one training loop that `solver.py` runs: a batch's forward pass, evaluation over
a loader, the model's mode, Ctrl-C that stops after the batch in a notebook, the curves' split
names, and the copy of the best epoch's weights (keep-best, early stopping).

    forward_batch: case 1  loss, acc = model.forward(x, y)
                   case 2  loss = criterion.forward(net.forward(x), y)   (acc set by the criterion)
    evaluate:      the sample-weighted mean of (loss, acc) over a loader, in eval mode
"""
import contextlib
import signal
import threading

from protocol import arrays_of


class DeferInterrupt:
    """Within `with`, the first Ctrl-C only sets `.requested`; training stops after the batch.

    defer=False leaves Ctrl-C alone (`.requested` stays False): a script or a pytest run must end
    at the first press, while a notebook's kernel lives on and keeps the run's history.
    """

    def __init__(self, defer=True):
        self.defer = defer

    def __enter__(self):
        self.requested, self.previous = False, None
        if self.defer and threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt   # a second Ctrl-C stops at once
        self.requested = True
        print('Interrupted: stopping after the current batch (press again to stop at once).')

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


class Curve(list):
    """A per-epoch list that knows its split ('training', 'validation', 'test'): still a list for
    every use, and `visualize.plot_loss_and_acc` labels its axes with `.split`."""

    def __init__(self, values=(), split='training'):
        super().__init__(values)
        self.split = split


def forward_batch(model, criterion, images, labels):
    """(loss, acc) of a batch: case 1's model.forward(x, y), or criterion.forward(net.forward(x), y)."""
    if criterion is None:
        return model.forward(images, labels)
    criterion.forward(model.forward(images), labels)
    return criterion.loss, criterion.acc


def evaluate(model, criterion, loader):
    """(loss, acc) over every sample of `loader` in eval mode: the sample-weighted mean over its batches."""
    total_loss = total_acc = 0.0
    with mode(model, training=False):
        for images, labels in loader:
            loss, acc = forward_batch(model, criterion, images, labels)
            total_loss, total_acc = total_loss + loss * len(labels), total_acc + acc * len(labels)
    return total_loss / len(loader.dataset), total_acc / len(loader.dataset)


@contextlib.contextmanager
def mode(model, training):
    """Within `with`, the model in training (True) or eval (False) mode; after it, in the mode it was in.

    Dropout and batch normalization act differently in the two modes; a model without train()
    (case 1's) has no modes and is left alone.
    """
    if not callable(getattr(model, 'train', None)):
        yield model
        return
    previous = getattr(model, 'training', True)
    model.train(training)
    try:
        yield model
    finally:
        model.train(previous)


class BestWeights:
    """The arrays (parameters and state, e.g. BN's running statistics) of `layers` at the best
    validation score offered so far; restore() puts them back. Frozen layers are copied too: their
    state still follows the batches in training."""

    def __init__(self, layers):
        self.layers, self.score, self.arrays = list(layers), None, {}

    def offer(self, score):
        """Copy the layers' arrays when `score` (higher is better) beats the best so far."""
        if self.score is None or score > self.score:
            self.score = score
            self.arrays = {(layer, name): getattr(layer, name).copy() for layer in self.layers
                           for name in arrays_of(layer)}

    def restore(self):
        for (layer, name), array in self.arrays.items():
            setattr(layer, name, array.copy())
