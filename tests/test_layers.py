"""Every layer and whole 2-3 layer networks: analytic against numerical gradients, in float64."""
import warnings

import numpy as np
import pytest

from gradcheck import numerical_gradient, relative_error
from layers import FCLayer, ReLULayer, SigmoidLayer, TanhLayer, init_std
from criterion import EuclideanLossLayer, SoftmaxCrossEntropyLossLayer
from network import Network

rng = np.random.default_rng(0)
ACTIVATIONS = [ReLULayer, SigmoidLayer, TanhLayer]


def check_layer_backward(layer, x):
    """For E = Σ (forward(x) ⊙ R) with a fixed random R, dE/d(out) = R: check dE/dx and grads."""
    R = rng.standard_normal(layer.forward(x).shape)
    objective = lambda: np.sum(layer.forward(x) * R)
    objective()
    dx = layer.backward(R)
    assert relative_error(dx, numerical_gradient(objective, x)) < 1e-6
    if layer.trainable:
        for name in ('W', 'b'):
            objective()
            layer.backward(R)
            analytic = getattr(layer, 'grad_' + name).copy()
            assert relative_error(analytic, numerical_gradient(objective, getattr(layer, name))) < 1e-6, name


def test_fc_layer_gradients():
    layer = FCLayer(5, 3, rng=1, dtype=np.float64)
    layer.b = rng.standard_normal((1, 3))
    check_layer_backward(layer, rng.standard_normal((4, 5)))


@pytest.mark.parametrize('activation', ACTIVATIONS)
def test_activation_gradients(activation):
    x = rng.standard_normal((4, 6)) * 2
    x[np.abs(x) < 1e-3] = 0.5   # keep ReLU's kink out of the finite differences
    check_layer_backward(activation(), x)


@pytest.mark.parametrize('activation', ACTIVATIONS)
@pytest.mark.parametrize('criterion', [SoftmaxCrossEntropyLossLayer, EuclideanLossLayer])
@pytest.mark.parametrize('depth', [2, 3])
def test_whole_network_gradients(activation, criterion, depth):
    sizes = [6, 5, 4, 3][:depth + 1]
    net = Network()
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        net.add(FCLayer(n_in, n_out, init='xavier', rng=i, dtype=np.float64))
        if i < depth - 1:
            net.add(activation())
    for layer in net.trainable_layers():
        layer.b = rng.standard_normal(layer.b.shape) * 0.1
    loss, x, labels = criterion(), rng.standard_normal((5, 6)), rng.integers(0, 3, 5)
    objective = lambda: loss.forward(net.forward(x), labels)
    for layer in net.trainable_layers():
        for name in ('W', 'b'):
            numerical = numerical_gradient(objective, getattr(layer, name))
            objective()
            net.backward(loss.backward())
            assert relative_error(getattr(layer, 'grad_' + name), numerical) < 1e-6


def test_sigmoid_is_stable_for_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for dtype in (np.float32, np.float64):
            out = SigmoidLayer().forward(np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]], dtype))
            assert out.dtype == dtype
            assert np.allclose(out, [[0, 0, 0.5, 1, 1]])


def test_derivatives_are_the_lectures():
    x = np.array([[-2.0, -0.5, 0.5, 2.0]])
    for layer, derivative in ((ReLULayer(), (x > 0) * 1.0),
                              (SigmoidLayer(), np.exp(-x) / (1 + np.exp(-x)) ** 2),
                              (TanhLayer(), 1 - np.tanh(x) ** 2)):
        layer.forward(x)
        assert np.allclose(layer.backward(np.ones_like(x)), derivative)


@pytest.mark.parametrize('init, expected', [('gaussian', 0.01), ('xavier', 1 / np.sqrt(400)),
                                            ('msra', np.sqrt(2 / 400))])
def test_init_schemes_have_the_lectures_scale(init, expected):
    layer = FCLayer(400, 300, init=init, rng=0)
    assert init_std(init, 400) == pytest.approx(expected)
    assert layer.W.std() == pytest.approx(expected, rel=0.02)
    assert abs(layer.W.mean()) < expected * 0.02
    assert not layer.b.any()


def test_init_is_reproducible_from_a_seed_and_the_course_keyword_picks_the_scale():
    assert np.array_equal(FCLayer(20, 10, rng=5).W, FCLayer(20, 10, rng=5).W)
    assert not np.array_equal(FCLayer(20, 10, rng=5).W, FCLayer(20, 10, rng=6).W)
    assert FCLayer(400, 300, actFunction='relu', rng=0).W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert FCLayer(400, 300, actFunction='sigmoid', rng=0).W.std() == pytest.approx(1 / 20, rel=0.02)
    assert FCLayer(10, 10, init='gaussian', std=0.5, rng=0).init == 'gaussian'
    with pytest.raises(ValueError, match="init 'he'"):
        FCLayer(3, 3, init='he')


def test_float64_in_gives_float64_throughout():
    net = Network([FCLayer(4, 3, rng=0, dtype=np.float64), ReLULayer(), FCLayer(3, 2, rng=1, dtype=np.float64)])
    out = net.forward(rng.standard_normal((2, 4)))
    delta = net.backward(np.ones_like(out))
    assert out.dtype == delta.dtype == net.layers[0].grad_W.dtype == np.float64


def test_network_lists_layers_and_parameter_counts():
    net = Network()
    net.add(FCLayer(784, 128)).add(ReLULayer()).add(FCLayer(128, 10))
    assert [type(l) for l in net.trainable_layers()] == [FCLayer, FCLayer]
    assert net.num_params() == 784 * 128 + 128 + 128 * 10 + 10
    text = repr(net)
    assert 'ReLULayer' in text and '100,480 parameters' in text and '101,770' in text
    with pytest.raises(TypeError, match='forward'):
        net.add(object())
