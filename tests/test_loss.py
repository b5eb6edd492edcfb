"""Case 1's model and the loss layers: analytic gradients against numerical ones, in float64."""
import numpy as np
import pytest

from gradcheck import numerical_gradient, relative_error
from loss import (EuclideanLossLayer, RegressionLossLayer, SigmoidCrossEntropyLossLayer, SoftmaxCrossEntropyLoss,
                  SoftmaxCrossEntropyLossLayer)

rng = np.random.default_rng(0)


def case1_model(n_in=7, n_out=4, scale=1.0):
    model = SoftmaxCrossEntropyLoss(n_in, n_out, dtype=np.float64)
    model.W = rng.standard_normal((n_in, n_out)) * scale
    model.b = rng.standard_normal((1, n_out)) * scale
    return model


@pytest.mark.parametrize('scale', [1.0, 1000.0])
def test_case1_gradients_match_numerical(scale):
    model = case1_model(scale=1.0)
    x, labels = rng.standard_normal((6, 7)) * scale, rng.integers(0, 4, 6)
    loss, acc = model.forward(x, labels)
    assert np.isfinite(loss) and 0 <= acc <= 1
    model.gradient_computing()
    assert model.grad_W.dtype == np.float64 and model.grad_W.shape == (7, 4)
    for name in ('W', 'b'):
        numerical = numerical_gradient(lambda: model.forward(x, labels)[0], getattr(model, name))
        model.forward(x, labels)
        model.gradient_computing()
        assert relative_error(getattr(model, 'grad_' + name), numerical) < 1e-6, name


def test_logits_of_plus_minus_1000_give_finite_loss_and_exact_gradient():
    layer = SoftmaxCrossEntropyLossLayer()
    logit = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    loss = layer.forward(logit, np.array([1, 1]))
    # row 0: the true class is 2000 below the best -> loss 2000; row 1: log(1 + e^-1)
    assert loss == pytest.approx((2000 + np.log1p(np.exp(-1))) / 2)
    grad = layer.backward()
    assert np.all(np.isfinite(grad))
    expected = np.array([[1, -1, 0], [0, 1 / (1 + np.exp(-1)) - 1, np.exp(-1) / (1 + np.exp(-1))]]) / 2
    assert np.allclose(grad, expected)


def test_loss_does_not_depend_on_batch_size_for_identical_rows():
    model = case1_model()
    row, label = rng.standard_normal((1, 7)), np.array([2])
    single = model.forward(row, label)
    model.gradient_computing()
    grad_single = model.grad_W.copy()
    many = model.forward(np.repeat(row, 50, axis=0), np.repeat(label, 50))
    model.gradient_computing()
    assert many[0] == pytest.approx(single[0]) and many[1] == single[1]
    assert np.allclose(model.grad_W, grad_single)


def test_assigned_parameters_are_used():
    model = case1_model()
    model.W = np.zeros((7, 4))
    model.b = np.zeros((1, 4))
    loss, _ = model.forward(rng.standard_normal((5, 7)), rng.integers(0, 4, 5))
    assert loss == pytest.approx(np.log(4))


@pytest.mark.parametrize('layer_class', [SoftmaxCrossEntropyLossLayer, EuclideanLossLayer])
@pytest.mark.parametrize('one_hot', [False, True])
def test_loss_layer_gradients(layer_class, one_hot):
    layer = layer_class()
    logit, labels = rng.standard_normal((5, 3)) * 3, rng.integers(0, 3, 5)
    gt = np.eye(3)[labels] if one_hot else labels
    layer.forward(logit, gt)
    analytic = layer.backward()
    numerical = numerical_gradient(lambda: layer.forward(logit, gt), logit)
    assert relative_error(analytic, numerical) < 1e-6
    assert type(layer.loss) is float and type(layer.acc) is float   # plain floats, not numpy scalars


def test_softmax_backward_is_y_minus_t_over_n():
    layer = SoftmaxCrossEntropyLossLayer()
    logit, labels = rng.standard_normal((4, 3)), np.array([0, 2, 1, 1])
    layer.forward(logit, labels)
    y = np.exp(logit) / np.exp(logit).sum(axis=1, keepdims=True)
    assert np.allclose(layer.backward(), (y - np.eye(3)[labels]) / 4)


def test_euclidean_loss_value():
    layer = EuclideanLossLayer()
    loss = layer.forward(np.array([[0.4, 0.6], [1.0, 0.0]]), np.array([0, 0]))
    assert loss == pytest.approx((0.5 * (0.36 + 0.36) + 0.0) / 2)
    assert layer.acc == 0.5


def test_bad_labels_are_named():
    layer = SoftmaxCrossEntropyLossLayer()
    with pytest.raises(ValueError, match='0..2'):
        layer.forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match='shape'):
        layer.forward(np.zeros((2, 3)), np.array([[0, 1]]))


def test_float32_in_gives_float32_out():
    model = SoftmaxCrossEntropyLoss(7, 4)
    model.forward(rng.standard_normal((3, 7)).astype(np.float32), np.array([0, 1, 2]))
    model.gradient_computing()
    assert model.W.dtype == model.grad_W.dtype == np.float32


# ---------------------------------------------------------------- reduction='mean' | 'sum'

SUM_LAYERS = {   # layer class: (logit, targets) it takes
    'softmax': (SoftmaxCrossEntropyLossLayer, lambda: (rng.standard_normal((5, 3)), rng.integers(0, 3, 5))),
    'euclidean': (EuclideanLossLayer, lambda: (rng.standard_normal((5, 3)), np.eye(3)[rng.integers(0, 3, 5)])),
    'sigmoid': (SigmoidCrossEntropyLossLayer, lambda: (rng.standard_normal((5, 1)), rng.integers(0, 2, (5, 1)))),
    'regression': (RegressionLossLayer, lambda: (rng.standard_normal((5, 2)), rng.standard_normal((5, 2)))),
}


@pytest.mark.parametrize('name', list(SUM_LAYERS))
def test_sum_reduction_gives_the_gradient_of_the_summed_loss_and_keeps_the_mean_loss(name):
    layer_class, batch = SUM_LAYERS[name]
    logit, gt = batch()
    mean, total = layer_class(), layer_class(reduction='sum')
    assert mean.reduction == 'mean'
    assert total.forward(logit, gt) == mean.forward(logit, gt) == total.loss
    numerical = numerical_gradient(lambda: total.forward(logit, gt) * len(logit), logit)   # d(Σ_n E⁽ⁿ⁾)/du
    total.forward(logit, gt)
    analytic = total.backward()
    assert relative_error(analytic, numerical) < 1e-6
    np.testing.assert_allclose(analytic, mean.backward() * len(logit), rtol=1e-12)


@pytest.mark.parametrize('word', ['Sum', 'none', None, 1])
def test_an_unknown_reduction_is_named(word):
    with pytest.raises(ValueError, match=rf"EuclideanLossLayer\(reduction={word!r}\): expected one of \('mean', 'sum'\)"):
        EuclideanLossLayer(reduction=word)
