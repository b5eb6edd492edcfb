"""`Network`: an ordered list of layers, and the checkpoint format every model shares.

Forward runs the layers in order; backward runs them in reverse, each turning dE/d(its output)
into dE/d(its input) and storing the gradients of its parameters on the way (backpropagation).
Everything about parameters goes through the protocol of layers.py (params, decay, state).
The fast path (`fast`, on by default) changes only the order of a ReLU and the max pooling after it
(`run_order`). With `fit_threads = True` both passes run with numpy's BLAS threads fitted to the cores
other processes left free (threads.blas_fitted): much faster on busy cores, but OpenBLAS's sums differ in
the last bits with its number of threads, so a fitted run under a changing load is not the same to the bit;
results reproducible from a seed come first, so it is off unless asked for.
"""
import json
import os
import zipfile

import numpy as np

import parallel
import threads
from files import write_atomic
from layers import (BatchNormLayer, ConvLayer, DropoutLayer, FCLayer, MaxPoolingLayer, ReLULayer, ReshapeLayer,
                    SigmoidLayer, TanhLayer, arrays_of, decays, params_of)


class Network:
    """net.add(FCLayer(784, 128)); net.add(ReLULayer()); ... ; logit = net.forward(x)."""

    training = True
    _parts, _cut = None, False   # parallel.Parts of the last cut forward; whether the last forward was cut
    fast = True   # False: the layers run in their own order (see run_order)
    fit_threads = False  # True: BLAS fitted to the free cores per pass (threads.py): faster on busy cores,
                         # but the sums then differ in the last bits with the load, so off by default;
                         # a batch cut into parts (parallel.py) runs BLAS on one thread per part instead

    def __init__(self, layers=()):
        self.layerList = []
        for layer in layers:
            self.add(layer)

    def add(self, layer):
        for method in ('forward', 'backward'):
            if not callable(getattr(layer, method, None)):
                raise TypeError(f'{layer!r} has no {method}() method; a layer needs forward and backward')
        self.layerList.append(layer)
        return self

    @property
    def layers(self):
        return self.layerList

    def forward(self, x):
        """x (N, d_in) through every layer (in `run_order`); returns the last layer's output (N, d_out).
        With `fast`, a ConvNet's batch is cut into parts that run at once, one per core (parallel.py)."""
        self._ran, count = self.run_order(), 1
        if self.fast and hasattr(x, 'shape') and len(x.shape):
            count = parallel.part_count(self._ran, len(x))
        self._cut = count > 1
        if self._cut:
            if self._parts is None or not self._parts.fits(self._ran, count):
                self._parts = parallel.Parts(self._ran, count)
            try:
                return self._parts.forward(x)
            except ValueError:   # bad input: the whole batch's pass below says so with the shapes the user gave
                self._cut = False
        with threads.blas_fitted(self.fit_threads):
            for layer in self._ran:
                x = layer.forward(x)
        return x

    def run_order(self):
        """The layers in the order forward runs them (backward runs them in reverse): layerList's, except
        that with `fast` a ReLULayer right before a MaxPoolingLayer runs after it. Max pooling and ReLU commute,
        max_i max(0, u_i) = max(0, max_i u_i), and backward sends δ ⊙ [max_i u_i > 0] to the same first maximum
        either way, so outputs and gradients are the same, and ReLU's two passes see a quarter of the values
        (2×2 pooling). The layers stay the student's; only their order changes (ReLU's `output` and the
        pooling's `winner` then hold the pooled map's and the unrectified map's)."""
        layers = list(self.layerList)
        for i in range(len(layers) - 1) if self.fast else ():
            if type(layers[i]) is ReLULayer and type(layers[i + 1]) is MaxPoolingLayer:
                layers[i], layers[i + 1] = layers[i + 1], layers[i]
        return layers

    def backward(self, delta, input_grad=True):
        """δ = dE/d(output) back through every layer, the reverse of the order the last forward ran them
        (`run_order`); returns dE/dx. After a forward cut into parts, δ is cut alike (parallel.Parts).

        input_grad=False (what training uses) skips dE/dx, as PyTorch does for inputs that need no
        gradient: the layers below the first one with parameters (a ReshapeLayer) are not run back, and
        that one, if it has a `gradients` method, only stores its parameters' gradients; returns None.
        """
        ran = getattr(self, '_ran', None)
        if ran is None or len(ran) != len(self.layerList) or set(map(id, ran)) != set(map(id, self.layerList)):
            ran, self._cut = self.run_order(), False   # no forward yet, or layers changed since: layerList's order
        if self._cut:
            return self._parts.backward(delta, lambda layers, part: _back_through(layers, part, input_grad))
        with threads.blas_fitted(self.fit_threads):
            return _back_through(ran, delta, input_grad)

    def predict(self, x):
        """Class scores of x in eval mode (dropout off, BN on its running statistics); the mode
        the network was in is restored afterwards."""
        training = self.training
        try:
            return self.eval().forward(x)
        finally:
            self.train(training)

    def train(self, mode=True):
        """Training mode (mode=False: eval mode) for every layer, as PyTorch's nn.Module.train; returns self."""
        self.training = bool(mode)
        for layer in self.layerList:
            layer.training = self.training
        return self

    @property
    def is_training(self):
        """The course notebooks' name for the mode: `net.is_training = False` is `net.train(False)`."""
        return self.training

    @is_training.setter
    def is_training(self, mode):
        self.train(mode)

    def eval(self):
        """Eval mode for every layer: dropout is the identity, BN uses its running statistics; returns self."""
        return self.train(False)

    def trainable_layers(self):
        """The layers whose parameters the optimizer updates (trainable and with parameters)."""
        return [layer for layer in self.layerList if getattr(layer, 'trainable', False) and params_of(layer)]

    def parameters(self):
        """(layer, name) of every trainable parameter, input side first; the array is getattr(layer, name)."""
        return [(layer, name) for layer in self.trainable_layers() for name in params_of(layer)]

    def gradient_norms(self):
        """‖grad_p‖ of every decayed parameter (the weights W), input side first (after a backward pass)."""
        return [float(np.linalg.norm(getattr(layer, 'grad_' + name)))
                for layer, name in self.parameters() if decays(layer, name)]

    def num_params(self):
        return sum(_count(layer) for layer in self.trainable_layers())

    def __repr__(self):
        lines = ['Network(']
        for i, layer in enumerate(self.layerList):
            count = _count(layer) if layer in self.trainable_layers() else 0
            lines.append(f'  ({i}) {layer!r}' + (f'  {count:,} parameters' if count else ''))
        lines.append(f')  total {self.num_params():,} trainable parameters')
        return '\n'.join(lines)

    def save(self, path):
        """Write every parameter and state array of the layers (W0, b0, gamma1, running_mean1, ...) to an
        .npz file, atomically."""
        save_layers(path, self._saved_layers(), {'model': 'Network', 'layers': [repr(l) for l in self.layerList]})

    def load(self, path):
        """Read arrays saved by `save` into this network; names and shapes must match."""
        load_layers(path, self._saved_layers())

    def _saved_layers(self):
        return [layer for layer in self.layerList if arrays_of(layer)]


def _back_through(layers, delta, input_grad):
    """δ back through `layers` (in reverse) as Network.backward describes; dE/dx, or None without input_grad."""
    bottom = 0
    if not input_grad:
        bottom = next((i for i, layer in enumerate(layers) if params_of(layer)), len(layers))
    skip = not input_grad and bottom < len(layers) and hasattr(layers[bottom], 'gradients')
    for layer in reversed(layers[bottom + skip:]):
        delta = layer.backward(delta)
    if skip:
        return layers[bottom].gradients(delta)
    return None if not input_grad else delta


def _count(layer):
    return sum(getattr(layer, name).size for name in params_of(layer))


def build_mlp(hidden, activation='relu', seed=0, dtype='float32', init=None, num_input=784, num_classes=10,
              dropout=0.0, batch_norm=False):
    """784-h1-...-10 Network; every hidden layer is FC [→ BatchNorm] → activation [→ Dropout].

    init defaults to the lecture's match: 'msra' for ReLU, 'xavier' for sigmoid and tanh.
    dropout: the probability p of dropping a hidden unit (0: no dropout layers); batch_norm: a
    BatchNormLayer between each hidden FC layer and its activation, normalizing u = x W + b.
    The FC layers' initial weights depend only on seed and sizes, not on these options.
    """
    act = {'relu': ReLULayer, 'sigmoid': SigmoidLayer, 'tanh': TanhLayer}[activation]
    init = init or ('msra' if activation == 'relu' else 'xavier')
    root = np.random.SeedSequence(seed)
    sizes, rngs, mask_rngs = [num_input, *hidden, num_classes], root.spawn(len(hidden) + 1), root.spawn(len(hidden))
    net = Network()
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        net.add(FCLayer(n_in, n_out, init=init, rng=rngs[i], dtype=dtype))
        if i < len(hidden):
            if batch_norm:
                net.add(BatchNormLayer(n_out, dtype=dtype))
            net.add(act())
            if dropout:
                net.add(DropoutLayer(dropout, rng=mask_rngs[i]))
    return net


def build_convnet(seed=0, dtype='float32', channels=(32, 64), kernel_size=5, image_shape=(1, 28, 28),
                  num_classes=10):
    """The CNN case's ConvNet on (N, 784) rows (the dataloader's) or (N, 1, 28, 28) images:

        images -> [conv k×k, F filters, pad k//2 -> ReLU -> max pool 2] per F in channels
               -> flatten -> FC -> class scores

    By default conv 5×5×32 -> ReLU -> pool -> conv 5×5×64 -> ReLU -> pool -> flatten 3136 -> FC 10,
    MSRA init (fan-in C·k·k); the padding keeps each map's size, so each pool halves it (28 -> 14 -> 7).
    """
    C, H, W = image_shape
    rngs = np.random.SeedSequence(seed).spawn(len(channels) + 1)
    net = Network([ReshapeLayer((None, C * H * W), (None, C, H, W))])
    for rng, filters in zip(rngs, channels):
        net.add(ConvLayer(C, filters, kernel_size, kernel_size // 2, rng=rng, dtype=dtype))
        net.add(ReLULayer()).add(MaxPoolingLayer(2))
        C, H, W = filters, H // 2, W // 2
    net.add(ReshapeLayer((None, C, H, W), (None, C * H * W)))
    return net.add(FCLayer(C * H * W, num_classes, rng=rngs[-1], dtype=dtype))


# ---------------------------------------------------------------- checkpoints

def save_layers(path, layers, metadata):
    """Save every array the layers declare (params, then state) plus JSON metadata in an .npz.

    The key of array `name` of the i-th layer is f'{name}{i}': W0, b0, gamma1, beta1, running_mean1,
    ..., the same keys as the first format (W0, b0, W1, b1, ...) for networks of FC layers.
    The file is written under a temporary name and renamed, so an interrupted save never
    damages an earlier checkpoint.
    """
    arrays = {'metadata': np.array(json.dumps(metadata))}
    for i, layer in enumerate(layers):
        arrays.update({f'{name}{i}': getattr(layer, name) for name in arrays_of(layer)})
    write_atomic(path, lambda file: np.savez(file, **arrays))


def load_layers(path, layers):
    """Load the arrays saved by save_layers into `layers`, each in the dtype the layer has now;
    pickled content is refused, and nothing is assigned unless every array fits.

    Raises ValueError naming the key when the file lacks it, holds it in another shape, or holds
    a key this model does not have. Returns the metadata dict.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as err:
        raise ValueError(f'{path}: not a checkpoint of this project (an .npz of plain arrays): {err}') from None
    wanted = {f'{name}{i}': (layer, name) for i, layer in enumerate(layers) for name in arrays_of(layer)}
    for key, (layer, name) in wanted.items():
        current = getattr(layer, name)
        if key not in arrays:
            raise ValueError(f'{path}: parameter {key} missing; the file holds {sorted(arrays)}')
        if arrays[key].shape != current.shape:
            raise ValueError(f'{path}: parameter {key} has shape {arrays[key].shape}, '
                             f'the model expects {current.shape}')
    extra = sorted(set(arrays) - set(wanted) - {'metadata'})
    if extra:
        raise ValueError(f'{path}: holds parameters {extra} that this model does not have')
    for key, (layer, name) in wanted.items():
        setattr(layer, name, arrays[key].astype(getattr(layer, name).dtype))
    return json.loads(str(arrays['metadata'])) if 'metadata' in arrays else {}
