"""The fast path keeps the public contract: reused buffers never alias what a call returns, the
update rule and gradients are the lecture's, float64 stays float64, and no velocity turns subnormal."""
import numpy as np
import pytest

from layers import FCLayer, ReLULayer, SigmoidLayer, TanhLayer
from loss import SoftmaxCrossEntropyLoss, SoftmaxCrossEntropyLossLayer
from network import Network
from optimizer import BLOCK, SGD

rng = np.random.default_rng(0)


def mlp(dtype=np.float64):
    return Network([FCLayer(6, 5, rng=0, dtype=dtype), ReLULayer(), FCLayer(5, 3, rng=1, dtype=dtype)])


@pytest.mark.parametrize('layer', [FCLayer(6, 4, rng=0), ReLULayer(), SigmoidLayer(), TanhLayer()])
def test_forward_and_backward_return_new_arrays_every_call(layer):
    x1, x2 = rng.standard_normal((2, 3, 6)).astype(np.float32)
    out1 = layer.forward(x1)
    kept = out1.copy()
    delta1 = layer.backward(np.ones_like(out1))
    kept_delta = delta1.copy()
    out2 = layer.forward(x2)
    layer.backward(np.full_like(out2, 2.0))
    assert not np.shares_memory(out1, out2)
    assert np.array_equal(out1, kept) and np.array_equal(delta1, kept_delta)


def test_loss_backward_returns_a_new_array_every_call():
    criterion = SoftmaxCrossEntropyLossLayer()
    criterion.forward(rng.standard_normal((4, 3)), np.array([0, 1, 2, 0]))
    first = criterion.backward()
    first[:] = 7
    assert not np.shares_memory(first, criterion.backward()) and criterion.backward().max() < 1


def test_gradients_are_reused_buffers_but_assigned_arrays_are_never_written():
    layer = FCLayer(6, 4, rng=0, dtype=np.float64)
    x = rng.standard_normal((5, 6))
    layer.forward(x)
    layer.backward(np.ones((5, 4)))
    owned = layer.grad_W
    mine = np.zeros((6, 4))
    layer.grad_W = mine
    layer.backward(np.full((5, 4), 2.0))
    assert not mine.any() and layer.grad_W is owned
    assert np.allclose(layer.grad_W, x.T @ np.full((5, 4), 2.0))


def test_gradients_without_input_delta_equal_backprop():
    net, criterion = mlp(), SoftmaxCrossEntropyLossLayer()
    x, labels = rng.standard_normal((7, 6)), rng.integers(0, 3, 7)
    criterion.forward(net.forward(x), labels)
    assert net.backward(criterion.backward()).shape == x.shape
    full = [(l.grad_W.copy(), l.grad_b.copy()) for l in net.trainable_layers()]
    criterion.forward(net.forward(x), labels)
    assert net.backward(criterion.backward(), input_grad=False) is None
    for layer, (grad_W, grad_b) in zip(net.trainable_layers(), full):
        assert np.array_equal(layer.grad_W, grad_W) and np.array_equal(layer.grad_b, grad_b)
        assert layer.grad_W.dtype == np.float64


def test_case1_gradient_is_x_transposed_times_y_minus_t_over_n():
    model = SoftmaxCrossEntropyLoss(6, 3, rng=0, dtype=np.float64)
    x, labels = rng.standard_normal((5, 6)), np.array([0, 2, 1, 1, 0])
    model.forward(x, labels)
    model.gradient_computing()
    u = x @ model.W + model.b
    y = np.exp(u) / np.exp(u).sum(axis=1, keepdims=True)
    assert np.allclose(model.grad_W, x.T @ (y - np.eye(3)[labels]) / 5, rtol=1e-12, atol=0)


def test_assigned_float64_parameters_restart_the_velocity_in_float64():
    layer = FCLayer(3, 2, rng=0)          # float32
    sgd = SGD(Network([layer]), 0.1, momentum=0.9)
    layer.grad_W, layer.grad_b = np.ones((3, 2), np.float32), np.ones((1, 2), np.float32)
    sgd.step()
    layer.W, layer.b = np.zeros((3, 2)), np.zeros((1, 2))
    layer.grad_W, layer.grad_b = np.full((3, 2), 1 / 3), np.full((1, 2), 1 / 3)
    sgd.step()
    assert layer.W.dtype == sgd.velocity[layer][0].dtype == np.float64
    assert np.array_equal(layer.W, np.full((3, 2), -0.1 * (1 / 3)))   # v started again at 0


def test_a_step_updates_in_place_and_keeps_its_buffers():
    layer = FCLayer(3, 2, rng=0)
    sgd = SGD(Network([layer]), 0.1, momentum=0.9, weight_decay=0.01)
    layer.grad_W, layer.grad_b = np.ones((3, 2), np.float32), np.ones((1, 2), np.float32)
    W = layer.W
    sgd.step()
    buffers = [id(a) for a in (*sgd.velocity[layer], sgd._scratch[layer])]
    sgd.step()
    assert layer.W is W and buffers == [id(a) for a in (*sgd.velocity[layer], sgd._scratch[layer])]


@pytest.mark.parametrize('order', ['C', 'F'])
def test_the_update_piece_by_piece_is_the_update_of_the_whole(order):
    # 1100 x 500 = 550,000 weights: more than two pieces of BLOCK; an F-ordered W is updated whole
    layer = FCLayer(1100, 500, rng=0, dtype=np.float64)
    layer.W = np.asarray(layer.W, order=order)
    sgd = SGD(Network([layer]), 0.1, momentum=0.9, weight_decay=0.01)
    rng = np.random.default_rng(1)
    w, v = layer.W.copy(), np.zeros_like(layer.W)
    for _ in range(3):
        layer.grad_W, layer.grad_b = rng.standard_normal((1100, 500)), rng.standard_normal((1, 500))
        sgd.step()
        v = 0.9 * v - 0.1 * (layer.grad_W + 0.01 * w)
        w = w + v
    assert layer.W.size > 2 * BLOCK
    np.testing.assert_allclose(layer.W, w, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('momentum', [0.5, 0.9, 0.99])
def test_no_velocity_is_ever_subnormal(momentum):
    layer = FCLayer(2, 2, rng=0)
    sgd = SGD(Network([layer]), 0.1, momentum=momentum)
    layer.grad_W, layer.grad_b = np.ones_like(layer.W), np.ones_like(layer.b)
    sgd.step()
    layer.grad_W, layer.grad_b = np.zeros_like(layer.W), np.zeros_like(layer.b)
    tiny, seen_zero = np.finfo(np.float32).tiny, False
    for _ in range(9000):   # γ = 0.99 needs ~8,400 steps to reach the flush threshold
        sgd.step()
        v = np.concatenate([a.ravel() for a in sgd.velocity[layer]])
        assert np.all((v == 0) | (np.abs(v) >= tiny))
        seen_zero |= not v.any()
    assert seen_zero


def test_a_float64_bias_beside_a_float32_weight_is_updated_in_float64():
    layer = FCLayer(3, 2, rng=0)          # float32 W
    layer.b = np.zeros((1, 2))            # float64 b
    sgd = SGD(Network([layer]), 0.1)
    layer.grad_W, layer.grad_b = np.zeros((3, 2), np.float32), np.full((1, 2), 1 / 3)
    sgd.step()
    assert layer.b.dtype == np.float64 and np.array_equal(layer.b, np.full((1, 2), -(0.1 * (1 / 3))))
