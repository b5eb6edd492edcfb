"""The lecture's layers, each a forward/backward pair that keeps what backward needs.

Contract of every layer:
    forward(Input (N, d_in)) -> output (N, d_out); remembers what backward needs.
    backward(delta (N, d_out)) -> delta for the layer below (N, d_in), where delta = dE/d(output)
        and E is already the batch mean (the loss layer divides by N once).
    training: True (the default) or False; Network.train() / eval() set it. Dropout and batch
        normalization behave differently in the two modes; the other layers ignore it.

The parameter protocol (see `Layer`): a layer names its parameters in `params` (FC: 'W', 'b'), the
ones that take weight decay in `decay` (weights only: 'W'), and its untrained state in `state` (BN's
running statistics). The gradient of parameter p is the attribute grad_p. All are plain arrays a
user may read and assign; whatever is assigned is what the next forward, backward and optimizer
step use. Optimizers, checkpoints, the Solver's keep-best copy and parameter counts loop over these
names, so a new layer with parameters needs no edit anywhere else.
The dtype of the computation is numpy's promotion of the input's and the parameters' dtypes:
float64 parameters and inputs give float64 throughout, as gradient checks need.
"""
import numbers

import numpy as np

from conv import ConvLayer  # noqa: F401 (the course imports the CNN case's layers from here)
from pooling import MaxPoolingLayer, ReshapeLayer  # noqa: F401
from protocol import INIT_SCHEMES, Layer, arrays_of, decays, init_std, params_of  # noqa: F401


ACT_SCHEMES = {'relu': 'msra', 'sigmoid': 'xavier', 'tanh': 'xavier'}   # FCLayer's actFunction -> init


def init_of(act_function, init, std):
    """(init scheme, std) of FCLayer's third positional argument and its init / std keywords: a string
    is the course's actFunction (init overrides it); a number, the 2017 form's std of a Gaussian init."""
    if isinstance(act_function, str):
        if act_function not in ACT_SCHEMES:
            raise ValueError(f'FCLayer actFunction {act_function!r}: expected one of {tuple(ACT_SCHEMES)} '
                             f"(the third positional argument; pass an init scheme as init='...')")
        return init or ACT_SCHEMES[act_function], std
    number = isinstance(act_function, numbers.Real) and not isinstance(act_function, bool)
    if not number or std is not None or init not in (None, 'gaussian'):
        raise TypeError(f'FCLayer: third argument {act_function!r} with init={init!r}, std={std!r}: expected '
                        "FCLayer(num_input, num_output, actFunction='relu'|'sigmoid'|'tanh'), or the 2017 form "
                        'FCLayer(num_input, num_output, std) with a number std > 0 and no init or std keyword')
    if not (np.isfinite(act_function) and act_function > 0):
        raise ValueError(f'FCLayer std = {act_function!r} (the third positional argument): expected a number > 0')
    return 'gaussian', float(act_function)


class FCLayer(Layer):
    """Fully connected layer u = x W + b, with W (num_input, num_output) and b (1, num_output).

    Parameters W and b; only W takes weight decay (the lecture decays weights, not biases).

    The course's signature: FCLayer(num_input, num_output, actFunction='relu', trainable=True);
    actFunction only picks the init scale: 'relu' -> 'msra', 'sigmoid' or 'tanh' -> 'xavier'.
    The course's 2017 form puts a number there instead: FCLayer(784, 256, 0.01) draws W from
    N(0, 0.01²) (init 'gaussian' with that std).
    Keyword-only extras: init ('gaussian' | 'xavier' | 'msra', overrides actFunction), std (of
    'gaussian'), rng (a seed or np.random.Generator for W; b starts at zero), dtype.
    """
    params, decay = ('W', 'b'), ('W',)

    def __init__(self, num_input, num_output, actFunction='relu', trainable=True, *,
                 init=None, std=None, rng=None, dtype=np.float32):
        for name, value in (('num_input', num_input), ('num_output', num_output)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f'FCLayer {name} = {value!r}: expected a positive integer')
        init, std = init_of(actFunction, init, std)
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
        ### BEGIN SOLUTION case 2 (given in 1)
        self.Input = Input
        u = Input @ self.W
        u += self.b
        return u
        ### END SOLUTION

    def backward(self, delta):
        """δ = dE/du (N, num_output) -> dE/dx = δ Wᵀ (N, num_input), a new array; stores the
        gradients of W and b as `gradients` does."""
        ### BEGIN SOLUTION case 2
        self.gradients(delta)
        return delta @ self.W.T
        ### END SOLUTION

    def gradients(self, delta):
        """grad_W = xᵀδ (num_input, num_output) and grad_b = Σ_n δ_n (1, num_output), for the x of
        the last forward; without dE/dx, which the bottom layer of a network does not need.

        The results are written into two arrays the layer owns and reuses, and grad_W, grad_b are
        set to them: copy a gradient to keep it past the next backward. An array the user assigned
        to grad_W or grad_b is replaced, never written into.
        """
        ### BEGIN SOLUTION case 1 2
        x = self.Input
        grad_W = self._buffer('grad_W', (x.shape[1], delta.shape[1]), np.result_type(x, delta))
        grad_b = self._buffer('grad_b', (1, delta.shape[1]), delta.dtype)
        self.grad_W = np.matmul(x.T, delta, out=grad_W)
        self.grad_b = np.sum(delta, axis=0, keepdims=True, out=grad_b)
        ### END SOLUTION

    def _buffer(self, name, shape, dtype):
        """The layer's own array for `name`, made anew when the shape or dtype changes."""
        array = self._buffers.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._buffers[name] = np.empty(shape, dtype)
        return array

    def __repr__(self):
        return f'FCLayer({self.num_input}, {self.num_output}, init={self.init!r})'


class ReLULayer(Layer):
    """f(u) = max(0, u); f'(u) = 1 where u > 0, else 0 (the step)."""

    def forward(self, Input):
        """f(u) = max(0, u), a new array, also kept for backward."""
        ### BEGIN SOLUTION case 2
        # against a row of zeros numpy takes its vectorized loop; against the scalar 0, a loop 2x slower
        zero = np.zeros((1,) * (Input.ndim - 1) + Input.shape[-1:], Input.dtype)
        self.output = np.maximum(Input, zero)
        return self.output
        ### END SOLUTION

    def backward(self, delta):
        """δ ⊙ f'(u), a new array; f'(u) = 1 where f(u) > 0 (np.where is ~4x slower)."""
        ### BEGIN SOLUTION case 2
        return np.multiply(delta, self.output > 0)
        ### END SOLUTION

    def __repr__(self):
        return 'ReLULayer()'


class SigmoidLayer(Layer):
    """f(u) = 1 / (1 + e^{-u}); f'(u) = f(1 - f).

    Computed as (1 + tanh(u/2)) / 2, the same function, which never overflows or warns for large |u|.
    """

    def forward(self, Input):
        ### BEGIN SOLUTION case 2
        self.output = 0.5 + 0.5 * np.tanh(0.5 * Input)
        return self.output
        ### END SOLUTION

    def backward(self, delta):
        ### BEGIN SOLUTION case 2
        return delta * self.output * (1 - self.output)
        ### END SOLUTION

    def __repr__(self):
        return 'SigmoidLayer()'


class TanhLayer(Layer):
    """f(u) = tanh(u); f'(u) = 1 - f²."""

    def forward(self, Input):
        self.output = np.tanh(Input)
        return self.output

    def backward(self, delta):
        return delta * (1 - self.output ** 2)

    def __repr__(self):
        return 'TanhLayer()'


class DropoutLayer(Layer):
    """Inverted dropout: in training, y = x ⊙ m / (1 − p) with m_i ~ Bernoulli(1 − p), a new mask
    m for every batch; in eval mode y = x. δ_x = δ ⊙ m / (1 − p) (the same mask).

    p is the probability of dropping a unit. Dividing by 1 − p during training keeps E[y] = x, so
    the network needs no rescaling at test time. rng: a seed or np.random.Generator for the masks.
    """

    def __init__(self, p=0.5, rng=None):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
            raise ValueError(f'DropoutLayer p = {p!r}: expected the probability of dropping, a number in [0, 1)')
        self.p, self.rng, self.mask = float(p), np.random.default_rng(rng), None

    def forward(self, Input):
        if not self.training:
            self.mask = None
            return Input
        keep = self.rng.random(Input.shape, dtype=np.float32) >= self.p
        self.mask = np.multiply(keep, 1 / (1 - self.p), dtype=Input.dtype)   # m / (1 − p)
        return Input * self.mask

    def backward(self, delta):
        return delta if self.mask is None else delta * self.mask

    def __repr__(self):
        return f'DropoutLayer(p={self.p:g})'


class BatchNormLayer(Layer):
    """Batch normalization of each of num_features units over the batch, then a learned scale and shift:

        μ = mean_n x_n,  σ² = mean_n (x_n − μ)²,  x̂ = (x − μ) / √(σ² + ε),  y = γ x̂ + β.

    In training μ, σ² are the batch's, and the running statistics follow them:
    running = momentum·running + (1 − momentum)·batch. In eval mode the running statistics
    stand in for μ and σ², so a prediction does not depend on the rest of its batch.
    Parameters gamma (starts at 1) and beta (at 0), each (1, num_features), are not decayed;
    state running_mean, running_var (1, num_features).
    """
    params, decay, state, trainable = ('gamma', 'beta'), (), ('running_mean', 'running_var'), True

    def __init__(self, num_features, momentum=0.9, eps=1e-5, dtype=np.float32):
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f'BatchNormLayer num_features = {num_features!r}: expected a positive integer')
        for name, value in (('momentum', momentum), ('eps', eps)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    0 <= value < 1 if name == 'momentum' else value > 0):
                raise ValueError(f'BatchNormLayer {name} = {value!r}: expected '
                                 f"{'a number in [0, 1)' if name == 'momentum' else 'a number > 0'}")
        self.num_features, self.momentum, self.eps = num_features, float(momentum), float(eps)
        self.gamma, self.beta = np.ones((1, num_features), dtype), np.zeros((1, num_features), dtype)
        self.grad_gamma, self.grad_beta = np.zeros_like(self.gamma), np.zeros_like(self.beta)
        self.running_mean, self.running_var = np.zeros_like(self.gamma), np.ones_like(self.gamma)

    def forward(self, Input):
        """x (N, num_features) -> y = γ x̂ + β (N, num_features); keeps x̂ and 1/√(σ² + ε) for backward."""
        if self.training:
            mean = Input.mean(axis=0, keepdims=True)
            centered = Input - mean
            var = np.mean(centered * centered, axis=0, keepdims=True)
            m = self.momentum
            kind = self.gamma.dtype   # the statistics keep the layer's dtype whatever the input's
            self.running_mean = (m * self.running_mean + (1 - m) * mean).astype(kind, copy=False)
            self.running_var = (m * self.running_var + (1 - m) * var).astype(kind, copy=False)
        else:
            centered, var = Input - self.running_mean, self.running_var
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.x_hat = centered * self.inv_std
        return self.x_hat * self.gamma + self.beta

    def backward(self, delta):
        """δ = dE/dy (N, D) -> dE/dx (N, D); sets grad_gamma = Σ_n δ x̂ and grad_beta = Σ_n δ.

        In training μ and σ² depend on every x_n, and the chain rule through them collapses to
        dE/dx = γ/√(σ² + ε) · (δ − mean_n δ − x̂ · mean_n(δ x̂)); in eval mode they are constants
        and dE/dx = γ/√(σ² + ε) · δ.
        """
        self.grad_beta = delta.sum(axis=0, keepdims=True)
        self.grad_gamma = np.sum(delta * self.x_hat, axis=0, keepdims=True)
        scale = self.gamma * self.inv_std
        if not self.training:
            return delta * scale
        n = len(delta)
        return (delta - self.grad_beta / n - self.x_hat * (self.grad_gamma / n)) * scale

    def __repr__(self):
        return f'BatchNormLayer({self.num_features}, momentum={self.momentum:g}, eps={self.eps:g})'
