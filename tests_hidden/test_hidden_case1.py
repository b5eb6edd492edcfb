"""Teacher-only checks of case 1 (softmax cross-entropy, momentum SGD) beyond the student tests.

They fail as the student tests do: a diagnosis from tests/diagnose.py, not an assertion dump.
"""
import numpy as np
import pytest

from diagnose import compare
from gradcheck import numerical_gradient
from loss import SoftmaxCrossEntropyLoss, SoftmaxCrossEntropyLossLayer
from optimizer import SGD


@pytest.mark.parametrize('n, n_in, n_out', [(1, 3, 2), (13, 9, 5)])
def test_model_gradients_on_other_shapes(n, n_in, n_out):
    rng = np.random.default_rng(n)
    model = SoftmaxCrossEntropyLoss(n_in, n_out, rng=1, dtype=np.float64)
    model.b = rng.standard_normal((1, n_out))
    x, labels = rng.standard_normal((n, n_in)), rng.integers(0, n_out, n)
    for name in ('W', 'b'):
        numerical = numerical_gradient(lambda: model.forward(x, labels)[0], getattr(model, name))
        model.forward(x, labels)
        model.gradient_computing()
        compare(f'case 1 model, N={n}: grad_{name}', getattr(model, 'grad_' + name), numerical, n, what='numerical')


def test_soft_targets_gradient():
    rng = np.random.default_rng(2)
    layer, logit = SoftmaxCrossEntropyLossLayer(), rng.standard_normal((6, 4)) * 2
    targets = rng.dirichlet(np.ones(4), 6)
    layer.forward(logit, targets)
    numerical = numerical_gradient(lambda: layer.forward(logit, targets), logit)
    compare('softmax cross-entropy with soft targets: dE/du', layer.backward(), numerical, 6, what='numerical')


def test_float32_logits_of_1e4_stay_finite():
    layer = SoftmaxCrossEntropyLossLayer()
    logit = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]], np.float32)
    with np.errstate(all='ignore'):
        loss = layer.forward(logit, np.array([0, 1]))
        delta = layer.backward()
    compare('softmax cross-entropy of float32 logits ±1e4: E', loss, np.log(2) / 2, 2, tol=1e-4)
    compare('softmax cross-entropy of float32 logits ±1e4: dE/du', delta, [[0, 0, 0], [0, -0.25, 0.25]], 2, tol=1e-4)


def test_momentum_trajectory_with_fixed_gradients():
    model = SoftmaxCrossEntropyLoss(4, 3, rng=3, dtype=np.float64)
    sgd, lr, gamma = SGD(model, 0.2, momentum=0.7), 0.2, 0.7
    W, v = model.W.copy(), np.zeros_like(model.W)
    for step in range(4):
        grad = np.full((4, 3), 0.5 - step)
        model.grad_W, model.grad_b = grad.copy(), np.zeros((1, 3))
        v = gamma * v - lr * grad
        W = W + v
        sgd.step()
        compare(f'SGD (γ = 0.7, α = 0.2): W after step {step + 1}', model.W, W, 1, tol=1e-12)


def test_case1_learns_mnist_subset(mnist_subset):
    (x, labels), (x_test, labels_test) = mnist_subset
    model = SoftmaxCrossEntropyLoss(784, 10, rng=0, dtype=np.float64)
    sgd = SGD(model, 0.1, momentum=0.9)
    for _ in range(2):
        for start in range(0, len(x), 100):
            model.forward(x[start:start + 100], labels[start:start + 100])
            model.gradient_computing()
            sgd.step()
    accuracy = np.mean(model.predict(x_test).argmax(axis=1) == labels_test)
    if not accuracy > 0.85:
        pytest.fail(f'softmax regression reached a test accuracy of {accuracy:.3f} after 2 epochs on 3000 MNIST '
                    'images (α = 0.1, γ = 0.9, batch 100); the course\'s code reaches about 0.88', pytrace=False)
