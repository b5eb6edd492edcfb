"""The parameter protocol every layer speaks, and the lecture's initialization scales.

A layer names its parameters in `params`, the ones that take weight decay in `decay` and its
untrained state in `state`; the gradient of parameter p is the attribute grad_p (see `Layer`).
This room holds only that contract, so every room of layers (layers.py, conv.py, pooling.py)
imports it from one place and layers.py can re-export the convolutional layers without an import
cycle; `from layers import Layer, init_std, params_of, ...` keeps working.
"""
import numpy as np

INIT_SCHEMES = ('gaussian', 'xavier', 'msra')


def init_std(scheme, num_input, std=None):
    """Standard deviation of the lecture's initializations for a layer with num_input inputs.

    'gaussian': 0.01 (or `std`); 'xavier': 1/sqrt(n_in); 'msra' (He): sqrt(2/n_in), which keeps
    the variance of ReLU activations constant from layer to layer.
    """
    if scheme == 'gaussian':
        return 0.01 if std is None else float(std)
    if scheme == 'xavier':
        return 1.0 / np.sqrt(num_input)
    if scheme == 'msra':
        return np.sqrt(2.0 / num_input)
    raise ValueError(f'init {scheme!r}: expected one of {INIT_SCHEMES}')


class Layer:
    """The defaults of the protocol: no parameters, no state, training mode.

    A layer need not inherit from it; every room reads the protocol with these defaults.
    """
    params = ()        # names of the trained arrays, e.g. ('W', 'b'); gradient of p at grad_p
    decay = ()         # the names in params that take weight decay λ·w
    state = ()         # names of arrays that are saved and restored but not trained
    trainable = False  # False: the optimizer leaves the params alone (frozen)
    training = True    # False in eval mode


def params_of(layer):
    """The names of the layer's parameters (its `params`; none for a layer that declares none)."""
    return tuple(getattr(layer, 'params', ()))


def arrays_of(layer):
    """The names of every array a checkpoint or a keep-best copy holds: params, then state."""
    return params_of(layer) + tuple(getattr(layer, 'state', ()))


def decays(layer, name):
    """True when parameter `name` of `layer` takes weight decay."""
    return name in getattr(layer, 'decay', ())
