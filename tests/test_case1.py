"""Case 1's TODOs: the softmax cross-entropy (criterion.py), the gradients of W and b (layers.py's
FCLayer.gradients, which loss.py's model calls), SGD with momentum (optimizer.py), and the earlier
case 1's softmax_classifier (softmax_classifier.py).

Each test names the TODO it checks; one not done yet fails with "not implemented yet", a wrong one
with a diagnosis (see diagnose.py). The inputs come from the `rng` fixture (the grader draws its seed
when it grades) and the expected numbers from the lecture's formulas, in float64. The code under test
is called through tests/probes.py.
"""
import numpy as np
import pytest

import probes
from diagnose import check_sgd, compare, todo
from gradcheck import numerical_gradient_at

LOGITS = np.array([[0.2, -1.3, 0.7], [1.5, 0.1, -0.4], [-0.8, 0.9, 0.3], [0.0, -0.2, 1.1]])
LABELS = np.array([0, 2, 1, 2])
LOSS_X1000 = 600.0                    # E of 1000 * LOGITS
OVERFLOW = ('softmax overflows at large logits: e^1000 is inf and inf/inf is NaN; subtract each row\'s '
            'largest logit first (softmax(u - c) = softmax(u))')


def finite(name, value):
    if value is not None and not np.all(np.isfinite(np.asarray(value, np.float64))):
        pytest.fail(f'{name} is NaN or inf at large logits. Diagnosis: {OVERFLOW}', pytrace=False)


def test_softmax_parts_is_the_softmax_without_overflow(rng):
    logits = np.vstack([[1000.0, 0.0, -1000.0], rng.standard_normal((3, 3)) * 3])
    with todo('criterion.py: softmax_parts'), np.errstate(all='ignore'):
        out = probes.run('softmax_parts', u=logits)
    finite('softmax_parts: y', out['y'])
    s = logits - logits.max(axis=1, keepdims=True)
    log_total = np.log(np.exp(s).sum(axis=1, keepdims=True))
    compare('softmax_parts: y = softmax(u)', out['y'], np.exp(s - log_total), 4)
    compare('softmax_parts: s = u - max_j u_j', out['s'], s, 4)
    compare('softmax_parts: log Σ_j e^{s_j}', out['log_total'], log_total, 4)


def cross_entropy(logits, labels):
    """E of the logits (N, K) for the labels (N,), and the accuracy: the numbers forward must give."""
    s = logits - logits.max(axis=1, keepdims=True)
    log_y = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -np.mean(log_y[np.arange(len(labels)), labels]), np.mean(logits.argmax(axis=1) == labels)


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_cross_entropy_forward(targets, rng):
    logits, labels = rng.standard_normal((5, 3)) * 2, rng.integers(0, 3, 5)
    gt = labels if targets == 'labels' else np.eye(3)[labels]
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.forward'):
        out = probes.run('loss_forward', kind='softmax', u=logits, gt=gt)
    loss, acc = cross_entropy(logits, labels)
    compare('SoftmaxCrossEntropyLossLayer.forward: the loss E', out['loss'], loss, len(labels))
    compare('SoftmaxCrossEntropyLossLayer.forward: self.loss', out['self_loss'], loss, len(labels))
    compare('SoftmaxCrossEntropyLossLayer.forward: self.acc', out['acc'], acc, len(labels))


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_cross_entropy_backward_is_y_minus_t_over_n(targets, rng):
    y, labels = rng.dirichlet(np.ones(3), 4), rng.integers(0, 3, 4)
    gt = labels if targets == 'labels' else np.eye(3)[labels]
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.backward'):
        out = probes.run('loss_backward', kind='softmax', gt=gt, y=y)   # y and gt: what forward keeps
    compare('SoftmaxCrossEntropyLossLayer.backward: dE/du', out['delta'], (y - np.eye(3)[labels]) / 4, 4)


def test_softmax_cross_entropy_survives_large_logits():
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.forward and backward'), np.errstate(all='ignore'):
        out = probes.run('loss_gradient', kind='softmax', u=1000 * LOGITS, gt=LABELS)
    finite('the loss', out['loss'])
    compare('SoftmaxCrossEntropyLossLayer.forward at large logits', out['loss'], LOSS_X1000, len(LABELS))
    finite('dE/du', out['delta'])


def check_loss_gradient(kind, name, logits, gt):
    """backward after forward against the numerical gradient of forward's E (N, K logits)."""
    with todo(f'criterion.py: {name.split(" with ")[0]}.backward'):
        analytic = probes.run('loss_gradient', kind=kind, u=logits, gt=gt)['delta']
    numeric = numerical_gradient_at(lambda us: probes.outputs('loss_forward', 'loss', 'u', us, kind=kind, gt=gt), logits)
    compare(f'{name}.backward: dE/du', analytic, numeric, len(logits), what='numerical')


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_cross_entropy_gradient_matches_the_numerical_one(targets, rng):
    logits = rng.standard_normal((4, 3))
    check_loss_gradient('softmax', 'SoftmaxCrossEntropyLossLayer', logits,
                        LABELS if targets == 'labels' else np.eye(3)[LABELS])


def test_softmax_regression_gradients_are_xt_delta_and_the_sum_of_delta(rng):
    x, W, b, n = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal((1, 3)), 4
    delta = (rng.dirichlet(np.ones(3), n) - np.eye(3)[LABELS]) / n   # dE/du as the criterion gives it
    with todo('layers.py: FCLayer.gradients'):
        out = probes.run('regression_gradients', x=x, gt=LABELS, W=W, b=b, delta=delta)
    compare('FCLayer.gradients (softmax regression): grad_W = xᵀδ', out['grad_W'], x.T @ delta, n)
    compare('FCLayer.gradients (softmax regression): grad_b = Σ_n δ_n', out['grad_b'],
            delta.sum(axis=0, keepdims=True), n)


def check_model_gradients(name, x, gt, W, b):
    """grad_W and grad_b of loss.py's model against the numerical gradients of its E."""
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.forward and layers.py: FCLayer.gradients'):
        out = probes.run('regression_gradients', x=x, gt=gt, W=W, b=b)
    for param, value in (('W', W), ('b', b)):
        fixed = {'x': x, 'gt': gt, 'W': W, 'b': b}
        del fixed[param]
        numeric = numerical_gradient_at(lambda values: probes.outputs('regression_loss', 'loss', param, values, **fixed),
                                        value)
        compare(f'{name}: grad_{param}', out['grad_' + param], numeric, len(x), what='numerical')


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_regression_gradients_match_the_numerical_ones(targets, rng):
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)) * 0.1, rng.standard_normal((1, 3))
    check_model_gradients('softmax regression', x, LABELS if targets == 'labels' else np.eye(3)[LABELS], W, b)


@pytest.mark.parametrize('fast', [False, True], ids=['plain', 'fast'])
def test_sgd_with_momentum_follows_the_lecture(fast, rng):
    check_sgd('SGD with momentum: (W, b)', rng, 0.1, momentum=0.9, fast=fast)


@pytest.mark.parametrize('fast', [False, True], ids=['plain', 'fast'])
def test_sgd_with_weight_decay_spares_the_bias(fast, rng):
    check_sgd('SGD with momentum and weight decay (λ = 0.05 on W, 0 on b): (W, b)', rng, 0.1, momentum=0.9,
              weight_decay=0.05, fast=fast)


@pytest.mark.parametrize('fast', [False, True], ids=['plain', 'fast'])
def test_sgd_nesterov_follows_the_lecture(fast, rng):
    check_sgd('SGD with Nesterov momentum: (W, b)', rng, 0.1, momentum=0.9, nesterov=True, fast=fast, steps=3)


# ---------------------------------------------------------------- the earlier case 1: softmax_classifier

def classifier_batch(rng, targets):
    """(W (5, 3), input (4, 5), label) in float64: one-hot (4, 3) or integer labels (4,)."""
    W, x = rng.standard_normal((5, 3)), rng.standard_normal((4, 5))
    return W, x, LABELS if targets == 'labels' else np.eye(3)[LABELS]


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_classifier_loss_and_prediction(targets, rng):
    W, x, label = classifier_batch(rng, targets)
    with todo('softmax_classifier.py: softmax_classifier'):
        out = probes.run('softmax_classifier', W=W, x=x, label=label, lamda=0.0)
    loss, prediction = out['loss'], out['prediction']
    u = x @ W
    log_y = u - u.max(axis=1, keepdims=True)
    log_y -= np.log(np.exp(log_y).sum(axis=1, keepdims=True))
    compare('softmax_classifier: the loss, -(1/N) Σ t log y', loss, -log_y[np.arange(4), LABELS].mean(), 4)
    compare('softmax_classifier: the prediction, argmax_c u_nc (N,)', prediction, u.argmax(axis=1), 4)
    with todo('softmax_classifier.py: softmax_classifier'):
        loss_decayed = probes.run('softmax_classifier', W=W, x=x, label=label, lamda=0.3)['loss']
    compare('softmax_classifier: the L2 term of the loss, (λ/2) Σ W²', np.float64(loss_decayed) - np.float64(loss),
            0.15 * np.sum(W * W), 4)


@pytest.mark.parametrize('lamda', [0.0, 0.3])
@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_classifier_gradient_matches_the_numerical_one(targets, lamda, rng):
    W, x, label = classifier_batch(rng, targets)
    with todo('softmax_classifier.py: softmax_classifier'):
        gradient = probes.run('softmax_classifier', W=W, x=x, label=label, lamda=lamda)['gradient']
    numeric = numerical_gradient_at(lambda values: probes.outputs('softmax_classifier', 'loss', 'W', values, x=x,
                                                                  label=label, lamda=lamda), W)
    compare(f'softmax_classifier: the gradient with respect to W (λ = {lamda})', gradient, numeric, 4,
            what='numerical')


def test_softmax_classifier_survives_large_inputs():
    W, x, label = np.zeros((5, 3)), np.zeros((4, 5)), np.eye(3)[LABELS]
    W[0], x[:, 0] = (1.0, 0.0, -1.0), (1000.0, -1000.0, 1000.0, -1000.0)   # logits ±1000
    with todo('softmax_classifier.py: softmax_classifier'), np.errstate(all='ignore'):
        out = probes.run('softmax_classifier', W=W, x=x, label=label, lamda=0.1)
    finite('softmax_classifier: the loss', out['loss'])
    finite('softmax_classifier: the gradient', out['gradient'])
