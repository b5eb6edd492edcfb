"""`Network`: an ordered list of layers, and the checkpoint format every model shares.

Forward runs the layers in order; backward runs them in reverse, each turning dE/d(its output)
into dE/d(its input) and, if trainable, storing grad_W and grad_b on the way (backpropagation).
"""
import json
import os
import tempfile
import zipfile

import numpy as np


class Network:
    """net.add(FCLayer(784, 128)); net.add(ReLULayer()); ... ; logit = net.forward(x)."""

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
        """x (N, d_in) through every layer; returns the last layer's output (N, d_out)."""
        for layer in self.layerList:
            x = layer.forward(x)
        return x

    def backward(self, delta, input_grad=True):
        """δ = dE/d(output) back through every layer; returns dE/dx.

        input_grad=False (what training uses) skips dE/dx, as PyTorch does for inputs that need no
        gradient: a first layer with a `gradients` method only stores grad_W, grad_b; returns None.
        """
        skip = not input_grad and len(self.layerList) > 0 and hasattr(self.layerList[0], 'gradients')
        for layer in reversed(self.layerList[skip:]):
            delta = layer.backward(delta)
        if skip:
            return self.layerList[0].gradients(delta)
        return delta

    def predict(self, x):
        return self.forward(x)

    def trainable_layers(self):
        return [layer for layer in self.layerList if getattr(layer, 'trainable', False)]

    def gradient_norms(self):
        """‖grad_W‖ of every trainable layer, input side first (after a backward pass)."""
        return [float(np.linalg.norm(layer.grad_W)) for layer in self.trainable_layers()]

    def num_params(self):
        return sum(layer.W.size + layer.b.size for layer in self.trainable_layers())

    def __repr__(self):
        lines = ['Network(']
        for i, layer in enumerate(self.layerList):
            count = layer.W.size + layer.b.size if getattr(layer, 'trainable', False) else 0
            lines.append(f'  ({i}) {layer!r}' + (f'  {count:,} parameters' if count else ''))
        lines.append(f')  total {self.num_params():,} trainable parameters')
        return '\n'.join(lines)

    def save(self, path):
        """Write every trainable layer's W and b to an .npz file, atomically."""
        save_layers(path, self.trainable_layers(), {'model': 'Network',
                                                    'layers': [repr(l) for l in self.layerList]})

    def load(self, path):
        """Read weights saved by `save` into this network; shapes must match."""
        load_layers(path, self.trainable_layers())


def build_mlp(hidden, activation='relu', seed=0, dtype='float32', init=None, num_input=784, num_classes=10):
    """784-h1-...-10 Network with `activation` after every hidden layer.

    init defaults to the lecture's match: 'msra' for ReLU, 'xavier' for sigmoid and tanh.
    """
    from layers import FCLayer, ReLULayer, SigmoidLayer, TanhLayer   # network.py itself needs no layer class
    act = {'relu': ReLULayer, 'sigmoid': SigmoidLayer, 'tanh': TanhLayer}[activation]
    init = init or ('msra' if activation == 'relu' else 'xavier')
    sizes, rngs = [num_input, *hidden, num_classes], np.random.SeedSequence(seed).spawn(len(hidden) + 1)
    net = Network()
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        net.add(FCLayer(n_in, n_out, init=init, rng=rngs[i], dtype=dtype))
        if i < len(hidden):
            net.add(act())
    return net


# ---------------------------------------------------------------- checkpoints

def save_layers(path, layers, metadata):
    """Save layers' W and b as named arrays (`W0`, `b0`, ...) plus JSON metadata in an .npz.

    The file is written under a temporary name and renamed, so an interrupted save never
    damages an earlier checkpoint.
    """
    arrays = {'metadata': np.array(json.dumps(metadata))}
    for i, layer in enumerate(layers):
        arrays[f'W{i}'], arrays[f'b{i}'] = layer.W, layer.b
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.checkpoint.', suffix='.npz')
    try:
        with os.fdopen(fd, 'wb') as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_layers(path, layers):
    """Load W and b saved by save_layers into `layers`; pickled content is refused.

    Raises ValueError naming the parameter when the file lacks it or its shape differs.
    Returns the metadata dict.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as err:
        raise ValueError(f'{path}: not a checkpoint of this project (an .npz of plain arrays): {err}') from None
    for i, layer in enumerate(layers):
        for name in ('W', 'b'):
            key, current = f'{name}{i}', getattr(layer, name)
            if key not in arrays:
                raise ValueError(f'{path}: parameter {key} missing; the file holds {sorted(arrays)}')
            if arrays[key].shape != current.shape:
                raise ValueError(f'{path}: parameter {key} has shape {arrays[key].shape}, '
                                 f'the model expects {current.shape}')
    expected = {'metadata'} | {f'{name}{i}' for i in range(len(layers)) for name in 'Wb'}
    extra = sorted(set(arrays) - expected)
    if extra:
        raise ValueError(f'{path}: holds parameters {extra} that this model does not have')
    for i, layer in enumerate(layers):
        layer.W = arrays[f'W{i}'].astype(layer.W.dtype)
        layer.b = arrays[f'b{i}'].astype(layer.b.dtype)
    return json.loads(str(arrays['metadata'])) if 'metadata' in arrays else {}
