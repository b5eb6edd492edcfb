"""The lecture's layers, each a forward/backward pair that keeps what backward needs.

Contract of every layer:
    forward(Input (N, d_in)) -> output (N, d_out); remembers what backward needs.
    backward(delta (N, d_out)) -> delta for the layer below (N, d_in), where delta = dE/d(output)
        and E is already the batch mean (the loss layer divides by N once).
A layer with `trainable = True` also holds W, b, grad_W, grad_b: plain arrays that a user may read
and assign; whatever is assigned is what the next forward, backward and optimizer step use.
The dtype of the computation is numpy's promotion of the input's and the parameters' dtypes:
float64 parameters and inputs give float64 throughout, as gradient checks need.
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


class FCLayer:
    """Fully connected layer u = x W + b, with W (num_input, num_output) and b (1, num_output).

    The course's signature: FCLayer(num_input, num_output, actFunction='relu', trainable=True);
    actFunction only picks the init scale: 'relu' -> 'msra', 'sigmoid' or 'tanh' -> 'xavier'.
    Keyword-only extras: init ('gaussian' | 'xavier' | 'msra', overrides actFunction), std (of
    'gaussian'), rng (a seed or np.random.Generator for W; b starts at zero), dtype.
    """

    def __init__(self, num_input, num_output, actFunction='relu', trainable=True, *,
                 init=None, std=None, rng=None, dtype=np.float32):
        schemes = {'relu': 'msra', 'sigmoid': 'xavier', 'tanh': 'xavier'}
        if actFunction not in schemes:
            raise ValueError(f'FCLayer actFunction {actFunction!r}: expected one of {tuple(schemes)} '
                             f"(the third positional argument; pass an init scheme as init='...')")
        for name, value in (('num_input', num_input), ('num_output', num_output)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f'FCLayer {name} = {value!r}: expected a positive integer')
        init = init or schemes[actFunction]
        scale = init_std(init, num_input, std)
        rng = np.random.default_rng(rng)
        self.num_input, self.num_output, self.init = num_input, num_output, init
        self.trainable = trainable
        self.W = (rng.standard_normal((num_input, num_output)) * scale).astype(dtype)
        self.b = np.zeros((1, num_output), dtype)
        self.grad_W = np.zeros_like(self.W)
        self.grad_b = np.zeros_like(self.b)
        self.Input = None
        self._buffers = {}

    def forward(self, Input):
        """u = x W + b: Input x (N, num_input) -> u (N, num_output), a new array on every call."""
        self.Input = Input
        u = Input @ self.W
        u += self.b
        return u

    def backward(self, delta):
        """δ = dE/du (N, num_output) -> dE/dx = δ Wᵀ (N, num_input), a new array; stores the
        gradients of W and b as `gradients` does."""
        self.gradients(delta)
        return delta @ self.W.T

    def gradients(self, delta):
        """grad_W = xᵀδ (num_input, num_output) and grad_b = Σ_n δ_n (1, num_output), for the x of
        the last forward; without dE/dx, which the bottom layer of a network does not need.

        The results are written into two arrays the layer owns and reuses, and grad_W, grad_b are
        set to them: copy a gradient to keep it past the next backward. An array the user assigned
        to grad_W or grad_b is replaced, never written into.
        """
        x = self.Input
        grad_W = self._buffer('grad_W', (x.shape[1], delta.shape[1]), np.result_type(x, delta))
        grad_b = self._buffer('grad_b', (1, delta.shape[1]), delta.dtype)
        self.grad_W = np.matmul(x.T, delta, out=grad_W)
        self.grad_b = np.sum(delta, axis=0, keepdims=True, out=grad_b)

    def _buffer(self, name, shape, dtype):
        """The layer's own array for `name`, made anew when the shape or dtype changes."""
        array = self._buffers.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._buffers[name] = np.empty(shape, dtype)
        return array

    def __repr__(self):
        return f'FCLayer({self.num_input}, {self.num_output}, init={self.init!r})'


class ReLULayer:
    """f(u) = max(0, u); f'(u) = 1 where u > 0, else 0 (the step)."""
    trainable = False

    def forward(self, Input):
        """f(u) = max(0, u), a new array, also kept for backward."""
        # against a row of zeros numpy takes its vectorized loop; against the scalar 0, a loop 2x slower
        zero = np.zeros((1,) * (Input.ndim - 1) + Input.shape[-1:], Input.dtype)
        self.output = np.maximum(Input, zero)
        return self.output

    def backward(self, delta):
        """δ ⊙ f'(u), a new array; f'(u) = 1 where f(u) > 0 (np.where is ~4x slower)."""
        return np.multiply(delta, self.output > 0)

    def __repr__(self):
        return 'ReLULayer()'


class SigmoidLayer:
    """f(u) = 1 / (1 + e^{-u}); f'(u) = f(1 - f).

    Computed as (1 + tanh(u/2)) / 2, the same function, which never overflows or warns for large |u|.
    """
    trainable = False

    def forward(self, Input):
        self.output = 0.5 + 0.5 * np.tanh(0.5 * Input)
        return self.output

    def backward(self, delta):
        return delta * self.output * (1 - self.output)

    def __repr__(self):
        return 'SigmoidLayer()'


class TanhLayer:
    """f(u) = tanh(u); f'(u) = 1 - f²."""
    trainable = False

    def forward(self, Input):
        self.output = np.tanh(Input)
        return self.output

    def backward(self, delta):
        return delta * (1 - self.output ** 2)

    def __repr__(self):
        return 'TanhLayer()'
