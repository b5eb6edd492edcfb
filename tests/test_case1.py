"""Case 1's TODOs: the softmax cross-entropy (criterion.py), the gradients of W and b (layers.py's
FCLayer.gradients, which loss.py's model calls), SGD with momentum (optimizer.py), and the earlier
case 1's softmax_classifier (softmax_classifier.py).

Each test names the TODO it checks; one not done yet fails with "not implemented yet", a wrong one
with a diagnosis (see diagnose.py). The expected numbers were computed once, in float64.
"""
import numpy as np
import pytest

from criterion import SoftmaxCrossEntropyLossLayer, softmax_parts
from loss import SoftmaxCrossEntropyLoss
from diagnose import SGD_MISTAKES, OneLayer, compare, diagnose_steps, expected_sgd, run_sgd, todo
from gradcheck import numerical_gradient
from optimizer import SGD
from softmax_classifier import softmax_classifier

LOGITS = np.array([[0.2, -1.3, 0.7], [1.5, 0.1, -0.4], [-0.8, 0.9, 0.3], [0.0, -0.2, 1.1]])
LABELS = np.array([0, 2, 1, 2])
LOSS = 1.0777616394576641             # E of LOGITS, LABELS; accuracy 0.5
LOSS_X1000 = 600.0                    # E of 1000 * LOGITS
SOFTMAX_OUTPUT = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [1 / 3, 1 / 3, 1 / 3]])   # a y
OVERFLOW = ('softmax overflows at large logits: e^1000 is inf and inf/inf is NaN; subtract each row\'s '
            'largest logit first (softmax(u - c) = softmax(u))')


def finite(name, value):
    if not np.all(np.isfinite(value)):
        pytest.fail(f'{name} is NaN or inf at large logits. Diagnosis: {OVERFLOW}', pytrace=False)


def test_softmax_parts_is_the_softmax_without_overflow():
    logits = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0], [0.5, -0.5, 0.0]])
    with todo('criterion.py: softmax_parts'), np.errstate(all='ignore'):
        s, y, log_total = softmax_parts(logits.copy())
    finite('softmax_parts: y', y)
    compare('softmax_parts: y = softmax(u)', y, [[0.09003057317, 0.244728471055, 0.665240955775], [1, 0, 0],
                                                [0.506480391056, 0.186323723226, 0.307195885718]], 3)
    compare('softmax_parts: s = u - max_j u_j', s, [[-2, -1, 0], [0, -1000, -2000], [0, -1, -0.5]], 3)
    compare('softmax_parts: log Σ_j e^{s_j}', log_total, [[0.407605964444], [0], [0.680269670642]], 3)


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_cross_entropy_forward(targets):
    gt = LABELS if targets == 'labels' else np.eye(3)[LABELS]
    layer = SoftmaxCrossEntropyLossLayer()
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.forward'):
        loss = layer.forward(LOGITS.copy(), gt)
    compare('SoftmaxCrossEntropyLossLayer.forward: the loss E', loss, LOSS, len(LABELS))
    compare('SoftmaxCrossEntropyLossLayer.forward: self.loss', layer.loss, LOSS, len(LABELS))
    compare('SoftmaxCrossEntropyLossLayer.forward: self.acc', layer.acc, 0.5, len(LABELS))


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_cross_entropy_backward_is_y_minus_t_over_n(targets):
    y = SOFTMAX_OUTPUT
    layer = SoftmaxCrossEntropyLossLayer()
    layer.y, layer.gt = y.copy(), LABELS if targets == 'labels' else np.eye(3)[LABELS]   # what forward keeps
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.backward'):
        delta = layer.backward()
    compare('SoftmaxCrossEntropyLossLayer.backward: dE/du', delta, (y - np.eye(3)[LABELS]) / 4, 4)


def test_softmax_cross_entropy_survives_large_logits():
    layer = SoftmaxCrossEntropyLossLayer()
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.forward'), np.errstate(all='ignore'):
        loss = layer.forward(1000 * LOGITS, LABELS)
    finite('the loss', loss)
    compare('SoftmaxCrossEntropyLossLayer.forward at large logits', loss, LOSS_X1000, len(LABELS))
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.backward'), np.errstate(all='ignore'):
        finite('dE/du', layer.backward())


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_cross_entropy_gradient_matches_the_numerical_one(targets, rng):
    logits, n = rng.standard_normal((4, 3)), 4
    gt = LABELS if targets == 'labels' else np.eye(3)[LABELS]
    layer = SoftmaxCrossEntropyLossLayer()
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.backward'):
        layer.forward(logits, gt)
        analytic = layer.backward()
    numeric = numerical_gradient(lambda: layer.forward(logits, gt), logits)
    compare('SoftmaxCrossEntropyLossLayer.backward: dE/du', analytic, numeric, n, what='numerical')


def test_softmax_regression_gradients_are_xt_delta_and_the_sum_of_delta(rng):
    x, y, n = rng.standard_normal((4, 5)), SOFTMAX_OUTPUT, 4
    delta = (y - np.eye(3)[LABELS]) / n
    model = SoftmaxCrossEntropyLoss(5, 3, rng=rng, dtype=np.float64)
    model.linear.Input, model.criterion.y, model.criterion.gt = x, y.copy(), LABELS   # what forward keeps
    model.criterion.backward = lambda: delta.copy()   # dE/du as the criterion gives it (its own TODO)
    with todo('layers.py: FCLayer.gradients'):
        model.gradient_computing()
    compare('FCLayer.gradients (softmax regression): grad_W = xᵀδ', model.grad_W, x.T @ delta, n)
    compare('FCLayer.gradients (softmax regression): grad_b = Σ_n δ_n', model.grad_b,
            delta.sum(axis=0, keepdims=True), n)


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_regression_gradients_match_the_numerical_ones(targets, rng):
    x, n = rng.standard_normal((4, 5)), 4
    gt = LABELS if targets == 'labels' else np.eye(3)[LABELS]
    model = SoftmaxCrossEntropyLoss(5, 3, rng=rng, dtype=np.float64)
    model.b = rng.standard_normal((1, 3))
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.forward'):
        model.forward(x, gt)
    with todo('layers.py: FCLayer.gradients'):
        model.gradient_computing()
    grad_W, grad_b = np.copy(model.grad_W), np.copy(model.grad_b)

    def loss():
        return model.forward(x, gt)[0]
    compare('softmax regression: grad_W', grad_W, numerical_gradient(loss, model.W), n,
            what='numerical')
    compare('softmax regression: grad_b', grad_b, numerical_gradient(loss, model.b), n,
            what='numerical')


@pytest.mark.parametrize('fast', [False, True], ids=['plain', 'fast'])
def test_sgd_with_momentum_follows_the_lecture(fast, rng):
    layer = OneLayer(rng)
    grads = [(rng.standard_normal((3, 4)), rng.standard_normal((1, 4))) for _ in range(4)]
    expected = expected_sgd(layer, grads, 0.1, 0.9, {'W': 0.0, 'b': 0.0}, SGD_MISTAKES)
    optimizer = SGD(layer, 0.1, momentum=0.9)
    optimizer.fast = fast
    with todo('optimizer.py: SGD._update_plain' + (' (or _update_fast)' if fast else '')):
        trajectory = run_sgd(optimizer, layer, grads)
    diagnose_steps('SGD with momentum: (W, b)', trajectory, expected)


@pytest.mark.parametrize('fast', [False, True], ids=['plain', 'fast'])
def test_sgd_nesterov_follows_the_lecture(fast, rng):
    layer = OneLayer(rng)
    w0 = np.concatenate([layer.W.ravel(), layer.b.ravel()])
    grads = [(rng.standard_normal((3, 4)), rng.standard_normal((1, 4))) for _ in range(3)]
    optimizer = SGD(layer, 0.1, momentum=0.9, nesterov=True)
    optimizer.fast = fast
    with todo('optimizer.py: SGD._update_plain' + (' (or _update_fast)' if fast else '')):
        trajectory = run_sgd(optimizer, layer, grads)
    w, v, expected = w0, np.zeros_like(w0), []
    for grad_W, grad_b in grads:
        g = np.concatenate([grad_W.ravel(), grad_b.ravel()])
        v = 0.9 * v - 0.1 * g
        w = w + 0.9 * v - 0.1 * g
        expected.append(w)
    diagnose_steps('SGD with Nesterov momentum: (W, b)', trajectory, {None: expected})


# ---------------------------------------------------------------- the earlier case 1: softmax_classifier

def classifier_batch(rng, targets):
    """(W (5, 3), input (4, 5), label) in float64: one-hot (4, 3) or integer labels (4,)."""
    W, x = rng.standard_normal((5, 3)), rng.standard_normal((4, 5))
    return W, x, LABELS if targets == 'labels' else np.eye(3)[LABELS]


@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_classifier_loss_and_prediction(targets, rng):
    W, x, label = classifier_batch(rng, targets)
    with todo('softmax_classifier.py: softmax_classifier'):
        loss, _, prediction = softmax_classifier(W, x, label, 0.0)
    u = x @ W
    log_y = u - u.max(axis=1, keepdims=True)
    log_y -= np.log(np.exp(log_y).sum(axis=1, keepdims=True))
    compare('softmax_classifier: the loss, -(1/N) Σ t log y', loss, -log_y[np.arange(4), LABELS].mean(), 4)
    compare('softmax_classifier: the prediction, argmax_c u_nc (N,)', prediction, u.argmax(axis=1), 4)
    with todo('softmax_classifier.py: softmax_classifier'):
        loss_decayed = softmax_classifier(W, x, label, 0.3)[0]
    compare('softmax_classifier: the L2 term of the loss, (λ/2) Σ W²', loss_decayed - loss,
            0.15 * np.sum(W * W), 4)


@pytest.mark.parametrize('lamda', [0.0, 0.3])
@pytest.mark.parametrize('targets', ['labels', 'one-hot'])
def test_softmax_classifier_gradient_matches_the_numerical_one(targets, lamda, rng):
    W, x, label = classifier_batch(rng, targets)
    with todo('softmax_classifier.py: softmax_classifier'):
        gradient = softmax_classifier(W, x, label, lamda)[1]
    numeric = numerical_gradient(lambda: softmax_classifier(W, x, label, lamda)[0], W)
    compare(f'softmax_classifier: the gradient with respect to W (λ = {lamda})', gradient, numeric, 4,
            what='numerical')


def test_softmax_classifier_survives_large_inputs():
    W, x, label = np.zeros((5, 3)), np.zeros((4, 5)), np.eye(3)[LABELS]
    W[0], x[:, 0] = (1.0, 0.0, -1.0), (1000.0, -1000.0, 1000.0, -1000.0)   # logits ±1000
    with todo('softmax_classifier.py: softmax_classifier'), np.errstate(all='ignore'):
        loss, gradient, _ = softmax_classifier(W, x, label, 0.1)
    finite('softmax_classifier: the loss', loss)
    finite('softmax_classifier: the gradient', gradient)
