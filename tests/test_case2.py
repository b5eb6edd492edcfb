"""Case 2's TODOs: the FC layer, ReLU and Sigmoid (layers.py), the Euclidean loss (criterion.py) and
SGD with weight decay (optimizer.py); the softmax cross-entropy's tests are in test_case1.py.

Each TODO has a test that calls it alone (a backward gets the state its forward keeps, as the TODO
names it), then a gradient check runs forward and backward together. One not done yet fails with
"not implemented yet", a wrong one with a diagnosis (see diagnose.py). The code under test is called
through tests/probes.py, on inputs drawn from the `rng` fixture.
"""
import numpy as np
import pytest

import probes
from diagnose import check_sgd, compare, todo
from gradcheck import numerical_gradient_at
from test_case1 import check_loss_gradient

N = 4
LOGITS = np.array([[0.2, -1.3, 0.7], [1.5, 0.1, -0.4], [-0.8, 0.9, 0.3], [0.0, -0.2, 1.1]])
LABELS = np.array([0, 2, 1, 2])


def fc_inputs(rng, n=N, n_in=5, n_out=3):
    """x (n, n_in), W (n_in, n_out), b (1, n_out) and an upstream δ (n, n_out)."""
    return (rng.standard_normal((n, n_in)), rng.standard_normal((n_in, n_out)), rng.standard_normal((1, n_out)),
            rng.standard_normal((n, n_out)))


def check_fc_gradients(name, x, W, b, delta):
    """dE/dx, grad_W, grad_b of forward then backward(δ) against the numerical gradients of E = Σ u ⊙ δ."""
    with todo('layers.py: FCLayer.forward and FCLayer.backward'):
        out = probes.run('fc_backward', x=x, W=W, b=b, delta=delta)
    for key, varied in (('grad_W', 'W'), ('grad_b', 'b'), ('dx', 'x')):
        fixed = {'x': x, 'W': W, 'b': b}
        value = fixed.pop(varied)
        numeric = numerical_gradient_at(lambda values: [float(np.sum(u * delta)) for u in probes.outputs(
            'fc_forward', 'u', varied, values, **fixed)], value)
        compare(f'{name}: ' + ('dE/dx' if key == 'dx' else key), out[key], numeric, len(x), what='numerical')


def check_activation_gradient(kind, inputs, rng):
    """backward after forward against the numerical gradient of E = Σ f(u) ⊙ G for a random G (N, D)."""
    upstream = rng.standard_normal(inputs.shape)
    with todo(f'layers.py: {kind}Layer.forward and backward'):
        analytic = probes.run('activation_backward', kind=kind, delta=upstream, u=inputs)['dx']
    numeric = numerical_gradient_at(lambda values: [float(np.sum(out * upstream)) for out in probes.outputs(
        'activation', 'out', 'u', values, kind=kind)], inputs)
    compare(f'{kind}Layer.backward: dE/du', analytic, numeric, len(inputs), what='numerical')


def test_fc_forward_is_xw_plus_b(rng):
    x, W, b, _ = fc_inputs(rng)
    with todo('layers.py: FCLayer.forward'):
        u = probes.run('fc_forward', x=x, W=W, b=b)['u']
    compare('FCLayer.forward: u = x W + b', u, x @ W + b, N)


def test_fc_gradients_are_xt_delta_and_the_sum_of_delta(rng):
    x, W, b, delta = fc_inputs(rng)
    with todo('layers.py: FCLayer.gradients'):
        out = probes.run('fc_gradients', x=x, W=W, b=b, delta=delta)   # self.Input = x, as forward keeps it
    compare('FCLayer.gradients: grad_W', out['grad_W'], x.T @ delta, N)
    compare('FCLayer.gradients: grad_b', out['grad_b'], delta.sum(axis=0, keepdims=True), N)


def test_fc_backward_is_delta_wt(rng):
    x, W, b, delta = fc_inputs(rng)
    with todo('layers.py: FCLayer.backward'):
        dx = probes.run('fc_backward', x=x, W=W, b=b, delta=delta, forward=False)['dx']
    compare('FCLayer.backward: dE/dx', dx, delta @ W.T, N)


def test_fc_gradients_match_the_numerical_ones(rng):
    check_fc_gradients('FCLayer', *fc_inputs(rng))


def inputs(rng):
    x = rng.standard_normal((N, 6))
    x[np.abs(x) < 0.05] = 0.5    # the numerical check needs inputs away from ReLU's kink at 0
    return x


def test_relu(rng):
    x = inputs(rng)
    with todo('layers.py: ReLULayer.forward'):
        out = probes.run('activation', kind='ReLU', u=x)['out']
    compare('ReLULayer.forward: max(0, u)', out, np.where(x > 0, x, 0), N)
    check_activation_gradient('ReLU', x, rng)


def test_sigmoid(rng):
    x = inputs(rng)
    with todo('layers.py: SigmoidLayer.forward'):
        out = probes.run('activation', kind='Sigmoid', u=x)['out']
    compare('SigmoidLayer.forward: 1 / (1 + e^{-u})', out, 1 / (1 + np.exp(-x)), N)
    check_activation_gradient('Sigmoid', x, rng)


@pytest.mark.parametrize('kind', ['ReLU', 'Sigmoid'])
def test_activation_backward(kind, rng):
    x, delta = inputs(rng), rng.standard_normal((N, 6))
    f = np.where(x > 0, x, 0) if kind == 'ReLU' else 1 / (1 + np.exp(-x))
    slope = (x > 0) * 1.0 if kind == 'ReLU' else f * (1 - f)
    with todo(f'layers.py: {kind}Layer.backward'):
        out = probes.run('activation_backward', kind=kind, delta=delta, output=f)['dx']   # what forward keeps
    compare(f'{kind}Layer.backward: δ ⊙ f\'(u)', out, delta * slope, N)


def test_sigmoid_stays_quiet_and_finite_at_large_inputs():
    with todo('layers.py: SigmoidLayer.forward'):
        out = probes.run('activation', kind='Sigmoid', u=np.array([[-1000.0, 0.0, 1000.0]]), quiet=True)
    if out['warning']:
        pytest.fail(f'SigmoidLayer.forward warns at u = ±1000 ({out["warning"]}). Diagnosis: e^{{-u}} '
                    'overflows for u = -1000; compute it so no exp exceeds 1', pytrace=False)
    compare('SigmoidLayer.forward at u = ±1000', out['out'], [[0.0, 0.5, 1.0]], 1)


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_euclidean_loss(targets, rng):
    logits, labels = rng.standard_normal((N, 3)), rng.integers(0, 3, N)
    gt = labels if targets == 'labels' else np.eye(3)[labels]
    with todo('criterion.py: EuclideanLossLayer.forward'):
        out = probes.run('loss_forward', kind='euclidean', u=logits, gt=gt)
    loss = 0.5 * np.sum((logits - np.eye(3)[labels]) ** 2) / N
    compare('EuclideanLossLayer.forward: E', out['loss'], loss, N)
    compare('EuclideanLossLayer.forward: self.loss', out['self_loss'], loss, N)
    compare('EuclideanLossLayer.forward: self.acc', out['acc'], np.mean(logits.argmax(axis=1) == labels), N)
    check_loss_gradient('euclidean', 'EuclideanLossLayer', logits, gt)


def test_euclidean_loss_backward_is_y_minus_t_over_n(rng):
    diff = rng.standard_normal((N, 3))
    with todo('criterion.py: EuclideanLossLayer.backward'):
        delta = probes.run('loss_backward', kind='euclidean', gt=LABELS, diff=diff)['delta']   # what forward keeps
    compare('EuclideanLossLayer.backward: dE/dy', delta, diff / N, N)


@pytest.mark.parametrize('fast', [False, True], ids=['plain', 'fast'])
def test_sgd_with_weight_decay_as_the_course_calls_it(fast, rng):
    # the course's case 2: SGD(learning_rate, weight_decay), then step(model)
    check_sgd('SGD with weight decay: (W, b)', rng, 0.1, weight_decay=0.05, fast=fast, course_call=True, steps=3)
