"""Teacher-only checks of case 2 (FC layer, activations, loss layers, SGD with weight decay)."""
import numpy as np
import pytest

from criterion import EuclideanLossLayer, SoftmaxCrossEntropyLossLayer
from gradcheck import numerical_gradient, relative_error
from layers import FCLayer, ReLULayer, SigmoidLayer, TanhLayer
from network import build_mlp
from optimizer import SGD


@pytest.mark.parametrize('n, n_in, n_out', [(1, 3, 2), (9, 6, 4)])
def test_fc_gradients_on_other_shapes(n, n_in, n_out):
    rng = np.random.default_rng(n)
    layer = FCLayer(n_in, n_out, rng=2, dtype=np.float64)
    layer.b = rng.standard_normal((1, n_out))
    x, weights = rng.standard_normal((n, n_in)), rng.standard_normal((n, n_out))
    energy = lambda: float(np.sum(layer.forward(x) * weights))   # noqa: E731  dE/du = weights
    layer.forward(x)
    dx = layer.backward(weights.copy())
    assert relative_error(dx, numerical_gradient(energy, x)) < 1e-6, 'dE/dx'
    for name in ('W', 'b'):
        layer.forward(x)
        layer.backward(weights.copy())
        assert relative_error(getattr(layer, 'grad_' + name), numerical_gradient(energy, getattr(layer, name))) < 1e-6


@pytest.mark.parametrize('layer_class', [ReLULayer, SigmoidLayer, TanhLayer])
def test_activation_gradients(layer_class):
    rng = np.random.default_rng(4)
    layer, x, weights = layer_class(), rng.standard_normal((5, 7)) * 2, rng.standard_normal((5, 7))
    layer.forward(x)
    analytic = layer.backward(weights.copy())
    assert relative_error(analytic, numerical_gradient(lambda: float(np.sum(layer.forward(x) * weights)), x)) < 1e-6
    assert np.all(np.isfinite(layer_class().forward(np.array([[-1000.0, 1000.0]]))))


def test_euclidean_gradient_with_targets():
    rng = np.random.default_rng(5)
    layer, logit, targets = EuclideanLossLayer(), rng.standard_normal((6, 4)), rng.random((6, 4))
    layer.forward(logit, targets)
    assert relative_error(layer.backward(), numerical_gradient(lambda: layer.forward(logit, targets), logit)) < 1e-6


def test_weight_decay_shrinks_weights_not_biases():
    net = build_mlp([5], seed=1, dtype='float64', num_input=4, num_classes=3)
    fc = net.layers[0]
    fc.b = np.ones((1, 5))
    for layer in net.trainable_layers():
        layer.grad_W, layer.grad_b = np.zeros_like(layer.W), np.zeros_like(layer.b)
    W = fc.W.copy()
    SGD(0.1, 0.5).step(net)
    assert np.allclose(fc.W, W * (1 - 0.1 * 0.5)), 'W ← W − α·λ·W when ∇E = 0'
    assert np.array_equal(fc.b, np.ones((1, 5))), 'the bias takes no weight decay'


def test_mlp_learns_mnist_subset(mnist_subset):
    (x, labels), (x_test, labels_test) = mnist_subset
    net, criterion = build_mlp([64], seed=0, dtype='float64'), SoftmaxCrossEntropyLossLayer()
    sgd = SGD(net, 0.1, momentum=0.9, weight_decay=1e-4)
    for _ in range(3):
        for start in range(0, len(x), 100):
            criterion.forward(net.forward(x[start:start + 100]), labels[start:start + 100])
            net.backward(criterion.backward())
            sgd.step()
    accuracy = np.mean(net.forward(x_test).argmax(axis=1) == labels_test)
    assert accuracy > 0.85, f'test accuracy {accuracy:.3f} after 3 epochs on 3000 images (expected > 0.85)'
