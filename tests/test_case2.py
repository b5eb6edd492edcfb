"""Case 2's TODOs: the FC layer, ReLU and Sigmoid (layers.py), the Euclidean loss (criterion.py) and
SGD with weight decay (optimizer.py); the softmax cross-entropy's tests are in test_case1.py.

Each TODO has a test that calls it alone (a backward gets the state its forward keeps, as the TODO
names it), then a gradient check runs forward and backward together. One not done yet fails with
"not implemented yet", a wrong one with a diagnosis (see diagnose.py).
"""
import warnings

import numpy as np
import pytest

from criterion import EuclideanLossLayer
from diagnose import DECAY_MISTAKES, OneLayer, compare, diagnose_steps, expected_sgd, run_sgd, todo
from gradcheck import numerical_gradient
from layers import FCLayer, ReLULayer, SigmoidLayer
from optimizer import SGD

N = 4
LOGITS = np.array([[0.2, -1.3, 0.7], [1.5, 0.1, -0.4], [-0.8, 0.9, 0.3], [0.0, -0.2, 1.1]])
LABELS = np.array([0, 2, 1, 2])


def fc_layer(rng):
    layer = FCLayer(5, 3, init='gaussian', std=1.0, rng=rng, dtype=np.float64)
    layer.b = rng.standard_normal((1, 3))
    return layer, rng.standard_normal((N, 5)), rng.standard_normal((N, 3))


def gradient_check(name, layer, inputs, rng):
    """Gradient check of layer.backward on E = Σ output ⊙ G for a fixed random G (N, d_out)."""
    with todo(name + '.forward'):
        upstream = rng.standard_normal(layer.forward(inputs.copy()).shape)
    with todo(name + '.backward'):
        analytic = layer.backward(upstream.copy())
    numeric = numerical_gradient(lambda: float(np.sum(layer.forward(inputs) * upstream)), inputs)
    compare(name.split(': ')[-1] + '.backward: dE/dx', analytic, numeric, len(inputs), what='numerical')


def test_fc_forward_is_xw_plus_b(rng):
    layer, x, _ = fc_layer(rng)
    with todo('layers.py: FCLayer.forward'):
        u = layer.forward(x)
    compare('FCLayer.forward: u = x W + b', u, x @ layer.W + layer.b, N)


def test_fc_gradients_are_xt_delta_and_the_sum_of_delta(rng):
    layer, x, delta = fc_layer(rng)
    layer.Input = x                      # what forward keeps
    with todo('layers.py: FCLayer.gradients'):
        layer.gradients(delta)
    compare('FCLayer.gradients: grad_W', layer.grad_W, x.T @ delta, N)
    compare('FCLayer.gradients: grad_b', layer.grad_b, delta.sum(axis=0, keepdims=True), N)


def test_fc_backward_is_delta_wt(rng):
    layer, x, delta = fc_layer(rng)
    layer.Input = x
    with todo('layers.py: FCLayer.backward'):
        dx = layer.backward(delta)
    compare('FCLayer.backward: dE/dx', dx, delta @ layer.W.T, N)


def test_fc_gradients_match_the_numerical_ones(rng):
    layer, x, delta = fc_layer(rng)
    with todo('layers.py: FCLayer.forward'):
        layer.forward(x)
    with todo('layers.py: FCLayer.backward'):
        dx = layer.backward(delta)
    grad_W, grad_b = np.copy(layer.grad_W), np.copy(layer.grad_b)

    def energy():
        return float(np.sum(layer.forward(x) * delta))
    compare('FCLayer: grad_W', grad_W, numerical_gradient(energy, layer.W), N, what='numerical')
    compare('FCLayer: grad_b', grad_b, numerical_gradient(energy, layer.b), N, what='numerical')
    compare('FCLayer.backward: dE/dx', dx, numerical_gradient(energy, x), N, what='numerical')


def inputs(rng):
    x = rng.standard_normal((N, 6))
    x[np.abs(x) < 0.05] = 0.5    # the numerical check needs inputs away from ReLU's kink at 0
    return x


def test_relu(rng):
    x = inputs(rng)
    with todo('layers.py: ReLULayer.forward'):
        out = ReLULayer().forward(x.copy())
    compare('ReLULayer.forward: max(0, u)', out, np.where(x > 0, x, 0), N)
    gradient_check('layers.py: ReLULayer', ReLULayer(), x, rng)


def test_sigmoid(rng):
    x = inputs(rng)
    with todo('layers.py: SigmoidLayer.forward'):
        out = SigmoidLayer().forward(x.copy())
    compare('SigmoidLayer.forward: 1 / (1 + e^{-u})', out, 1 / (1 + np.exp(-x)), N)
    gradient_check('layers.py: SigmoidLayer', SigmoidLayer(), x, rng)


@pytest.mark.parametrize('kind', ['ReLU', 'Sigmoid'])
def test_activation_backward(kind, rng):
    x, delta = inputs(rng), rng.standard_normal((N, 6))
    f = np.where(x > 0, x, 0) if kind == 'ReLU' else 1 / (1 + np.exp(-x))
    layer, slope = (ReLULayer(), (x > 0) * 1.0) if kind == 'ReLU' else (SigmoidLayer(), f * (1 - f))
    layer.output = f                     # what forward keeps
    with todo(f'layers.py: {kind}Layer.backward'):
        out = layer.backward(delta.copy())
    compare(f'{kind}Layer.backward: δ ⊙ f\'(u)', out, delta * slope, N)


def test_sigmoid_stays_quiet_and_finite_at_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with todo('layers.py: SigmoidLayer.forward'):
            try:
                out = SigmoidLayer().forward(np.array([[-1000.0, 0.0, 1000.0]]))
            except RuntimeWarning as warning:
                pytest.fail(f'SigmoidLayer.forward warns at u = ±1000 ({warning}). Diagnosis: e^{{-u}} '
                            'overflows for u = -1000; compute it so no exp exceeds 1', pytrace=False)
    compare('SigmoidLayer.forward at u = ±1000', out, [[0.0, 0.5, 1.0]], 1)


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_euclidean_loss(targets):
    logits, gt, layer = LOGITS.copy(), LABELS if targets == 'labels' else np.eye(3)[LABELS], EuclideanLossLayer()
    with todo('criterion.py: EuclideanLossLayer.forward'):
        loss = layer.forward(logits.copy(), gt)
    compare('EuclideanLossLayer.forward: E', loss, 0.97875, N)
    compare('EuclideanLossLayer.forward: self.loss', layer.loss, 0.97875, N)
    compare('EuclideanLossLayer.forward: self.acc', layer.acc, 0.5, N)
    with todo('criterion.py: EuclideanLossLayer.backward'):
        analytic = layer.backward()
    numeric = numerical_gradient(lambda: layer.forward(logits, gt), logits)
    compare('EuclideanLossLayer.backward: dE/dy', analytic, numeric, N, what='numerical')


def test_euclidean_loss_backward_is_y_minus_t_over_n():
    layer = EuclideanLossLayer()
    layer.diff = LOGITS - np.eye(3)[LABELS]   # what forward keeps
    with todo('criterion.py: EuclideanLossLayer.backward'):
        delta = layer.backward()
    compare('EuclideanLossLayer.backward: dE/dy', delta, (LOGITS - np.eye(3)[LABELS]) / N, N)


@pytest.mark.parametrize('fast', [False, True], ids=['plain', 'fast'])
def test_sgd_with_weight_decay_as_the_course_calls_it(fast, rng):
    layer = OneLayer(rng)
    grads = [(rng.standard_normal((3, 4)), rng.standard_normal((1, 4))) for _ in range(3)]
    expected = expected_sgd(layer, grads, 0.1, 0.0, {'W': 0.05, 'b': 0.0}, ())
    for name, (on_bias, form) in DECAY_MISTAKES.items():
        expected[name] = expected_sgd(layer, grads, 0.1, 0.0, {'W': 0.05, 'b': 0.05 if on_bias else 0.0},
                                      (), form)[None]
    optimizer = SGD(0.1, 0.05)          # the course's case 2: SGD(learning_rate, weight_decay), step(model)
    optimizer.fast = fast
    with todo('optimizer.py: SGD._update_plain' + (' (or _update_fast)' if fast else '')):
        trajectory = run_sgd(optimizer, layer, grads, model=layer)
    diagnose_steps('SGD with weight decay: (W, b)', trajectory, expected)
