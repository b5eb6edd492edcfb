"""Teacher-only checks of case 1 (softmax cross-entropy, momentum SGD) beyond the student tests."""
import numpy as np
import pytest

from gradcheck import numerical_gradient, relative_error
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
        assert getattr(model, 'grad_' + name).shape == getattr(model, name).shape, name
        assert relative_error(getattr(model, 'grad_' + name), numerical) < 1e-6, name


def test_soft_targets_gradient():
    rng = np.random.default_rng(2)
    layer, logit = SoftmaxCrossEntropyLossLayer(), rng.standard_normal((6, 4)) * 2
    targets = rng.dirichlet(np.ones(4), 6)
    layer.forward(logit, targets)
    assert relative_error(layer.backward(), numerical_gradient(lambda: layer.forward(logit, targets), logit)) < 1e-6


def test_float32_logits_of_1e4_stay_finite():
    layer = SoftmaxCrossEntropyLossLayer()
    logit = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]], np.float32)
    loss = layer.forward(logit, np.array([0, 1]))
    assert np.isfinite(loss) and loss == pytest.approx(np.log(2) / 2, rel=1e-4)
    assert np.all(np.isfinite(layer.backward()))


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
        assert np.allclose(model.W, W, rtol=0, atol=1e-12), f'step {step + 1}'


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
    assert accuracy > 0.85, f'test accuracy {accuracy:.3f} after 2 epochs on 3000 images (expected > 0.85)'
