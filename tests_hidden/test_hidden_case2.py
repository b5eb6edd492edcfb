"""Teacher-only checks of case 2 (FC layer, activations, loss layers, SGD with weight decay).

They fail as the student tests do: a diagnosis from tests/diagnose.py, not an assertion dump.
"""
import numpy as np
import pytest

from criterion import EuclideanLossLayer, SoftmaxCrossEntropyLossLayer
from diagnose import compare
from gradcheck import numerical_gradient
from layers import FCLayer, ReLULayer, SigmoidLayer
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
    compare(f'FCLayer, N={n}: dE/dx', dx, numerical_gradient(energy, x), n, what='numerical')
    for name in ('W', 'b'):
        numerical = numerical_gradient(energy, getattr(layer, name))
        layer.forward(x)
        layer.backward(weights.copy())
        compare(f'FCLayer, N={n}: grad_{name}', getattr(layer, 'grad_' + name), numerical, n, what='numerical')


@pytest.mark.parametrize('layer_class', [ReLULayer, SigmoidLayer])   # the TODOs of case 2
def test_activation_gradients(layer_class):
    rng = np.random.default_rng(4)
    layer, x, weights = layer_class(), rng.standard_normal((5, 7)) * 2, rng.standard_normal((5, 7))
    layer.forward(x)
    analytic = layer.backward(weights.copy())
    numerical = numerical_gradient(lambda: float(np.sum(layer.forward(x) * weights)), x)
    compare(f'{layer_class.__name__}: dE/du', analytic, numerical, 5, what='numerical')
    with np.errstate(all='ignore'):
        big = layer_class().forward(np.array([[-1000.0, 1000.0]]))
    if not np.all(np.isfinite(big)):
        pytest.fail(f'{layer_class.__name__}.forward gives NaN or inf at inputs of ±1000', pytrace=False)


def test_euclidean_gradient_with_targets():
    rng = np.random.default_rng(5)
    layer, logit, targets = EuclideanLossLayer(), rng.standard_normal((6, 4)), rng.random((6, 4))
    layer.forward(logit, targets)
    numerical = numerical_gradient(lambda: layer.forward(logit, targets), logit)
    compare('EuclideanLossLayer with targets (N, K): dE/dy', layer.backward(), numerical, 6, what='numerical')


def test_weight_decay_shrinks_weights_not_biases():
    net = build_mlp([5], seed=1, dtype='float64', num_input=4, num_classes=3)
    fc = net.layers[0]
    fc.b = np.ones((1, 5))
    for layer in net.trainable_layers():
        layer.grad_W, layer.grad_b = np.zeros_like(layer.W), np.zeros_like(layer.b)
    W = fc.W.copy()
    SGD(0.1, 0.5).step(net)
    compare('SGD(α = 0.1, λ = 0.5) with ∇E = 0: W ← W − α·λ·W', fc.W, W * (1 - 0.1 * 0.5), 1)
    compare('SGD(α = 0.1, λ = 0.5) with ∇E = 0: b (no weight decay on the bias)', fc.b, np.ones((1, 5)), 1)


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
    if not accuracy > 0.85:
        pytest.fail(f'784-64-10 ReLU MLP reached a test accuracy of {accuracy:.3f} after 3 epochs on 3000 MNIST '
                    'images (α = 0.1, γ = 0.9, λ = 1e-4, batch 100); the course\'s code reaches about 0.9',
                    pytrace=False)
