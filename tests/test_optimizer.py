"""SGD against the lecture's update rule, weight decay's gradient, and the schedules' formulas."""
import numpy as np
import pytest

from gradcheck import numerical_gradient, relative_error
from layers import FCLayer
from loss import SoftmaxCrossEntropyLoss, SoftmaxCrossEntropyLossLayer
from network import Network
from optimizer import SGD, InverseTimeDecay, MomentumRamp, ReduceOnPlateau, flush_subnormals

rng = np.random.default_rng(0)


def model_with_gradients(seed):
    model = SoftmaxCrossEntropyLoss(6, 3, rng=seed, dtype=np.float64)
    x, labels = rng.standard_normal((8, 6)), rng.integers(0, 3, 8)
    return model, lambda: (model.forward(x, labels), model.gradient_computing())


@pytest.mark.parametrize('momentum', [0.0, 0.5, 0.9])
def test_sgd_follows_v_equals_gamma_v_minus_alpha_grad(momentum):
    model, compute = model_with_gradients(1)
    sgd, lr = SGD(model, 0.1, momentum), 0.1
    W, b = model.W.copy(), model.b.copy()
    v_W, v_b = np.zeros_like(W), np.zeros_like(b)
    for _ in range(5):
        compute()
        v_W = momentum * v_W - lr * model.grad_W
        v_b = momentum * v_b - lr * model.grad_b
        W, b = W + v_W, b + v_b
        sgd.step()
        assert np.allclose(model.W, W, rtol=0, atol=1e-15) and np.allclose(model.b, b, rtol=0, atol=1e-15)


def test_without_momentum_the_step_is_exactly_theta_minus_alpha_grad():
    model, compute = model_with_gradients(2)
    sgd = SGD(model, 0.05)
    for _ in range(3):
        compute()
        expected = model.W - 0.05 * model.grad_W
        sgd.step()
        assert np.array_equal(model.W, expected)


def test_assigned_weights_and_gradients_are_what_the_step_uses():
    model, compute = model_with_gradients(3)
    sgd = SGD(model, 1.0)
    compute()
    model.W = np.ones((6, 3))
    model.grad_W = np.full((6, 3), 0.25)
    sgd.step()
    assert np.array_equal(model.W, np.full((6, 3), 0.75))


def test_weight_decay_is_the_gradient_of_lambda_half_norm_squared_on_weights_only():
    net = Network([FCLayer(5, 4, rng=0, dtype=np.float64)])
    layer, criterion, lam, lr = net.layers[0], SoftmaxCrossEntropyLossLayer(), 0.3, 0.1
    layer.b = rng.standard_normal((1, 4))
    x, labels = rng.standard_normal((7, 5)), rng.integers(0, 4, 7)

    def objective():   # J = E + λ|W|²/2
        return criterion.forward(net.forward(x), labels) + lam * np.sum(layer.W ** 2) / 2
    numerical_W = numerical_gradient(objective, layer.W)
    numerical_b = numerical_gradient(objective, layer.b)
    objective()
    net.backward(criterion.backward())
    W, b = layer.W.copy(), layer.b.copy()
    SGD(net, lr, weight_decay=lam).step()
    assert relative_error((W - layer.W) / lr, numerical_W) < 1e-6   # the step is α∇J
    assert relative_error((b - layer.b) / lr, numerical_b) < 1e-6   # biases: no decay


def test_every_trainable_layer_of_a_network_is_updated_with_its_own_velocity():
    net = Network([FCLayer(4, 3, rng=0, dtype=np.float64), FCLayer(3, 2, rng=1, dtype=np.float64)])
    sgd = SGD(net, 0.1, momentum=0.9)
    for layer in net.layers:
        layer.grad_W, layer.grad_b = np.ones_like(layer.W), np.ones_like(layer.b)
    before = [layer.W.copy() for layer in net.layers]
    sgd.step()
    sgd.step()
    for layer, W in zip(net.layers, before):   # v1 = -0.1, v2 = 0.9·(-0.1) - 0.1 = -0.19
        assert np.allclose(layer.W, W - 0.29)


def test_frozen_model_is_not_updated():
    model, compute = model_with_gradients(4)
    model.trainable = False
    compute()
    W = model.W.copy()
    SGD(model, 0.1).step()
    assert np.array_equal(model.W, W)


def test_flush_subnormals_zeroes_only_subnormals():
    tiny = np.finfo(np.float32).tiny
    v = np.array([tiny / 4, -tiny / 1000, tiny, 1.0, 0.0], np.float32)
    flush_subnormals(v)
    assert v.tolist() == [0.0, 0.0, tiny, 1.0, 0.0]


def test_velocities_of_unused_weights_never_stay_subnormal():
    layer = FCLayer(2, 2, rng=0)
    sgd = SGD(Network([layer]), 0.1, momentum=0.9)
    layer.grad_W, layer.grad_b = np.ones_like(layer.W), np.ones_like(layer.b)
    sgd.step()
    layer.grad_W, layer.grad_b = np.zeros_like(layer.W), np.zeros_like(layer.b)
    steps = 900   # left alone, v = -0.1 · 0.9^899 would now be subnormal in float32
    assert 0 < np.float32(0.1) * np.float32(0.9) ** steps < np.finfo(np.float32).tiny
    for _ in range(steps - 1):
        sgd.step()
    v_W = sgd.velocity[layer][0]
    assert np.all((v_W == 0) | (np.abs(v_W) >= np.finfo(np.float32).tiny))


class FakeOptimizer:
    learning_rate, momentum = 0.1, 0.0


def test_reduce_on_plateau_cuts_when_improvement_is_below_threshold():
    opt, schedule = FakeOptimizer(), ReduceOnPlateau(factor=0.5, threshold=0.01)
    rates = []
    for epoch, val_loss in enumerate([1.0, 0.5, 0.495, 0.3, 0.31], start=1):
        schedule.update(opt, epoch, {'val_loss': val_loss, 'train_loss': 0.0})
        rates.append(opt.learning_rate)
    assert rates == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_halving_on_slow_training_progress_monitors_the_training_loss():
    opt, schedule = FakeOptimizer(), ReduceOnPlateau(0.5, 0.1, monitor='train_loss')
    for epoch, train_loss in enumerate([1.0, 0.95], start=1):
        schedule.update(opt, epoch, {'val_loss': 10.0 / epoch, 'train_loss': train_loss})
    assert opt.learning_rate == pytest.approx(0.05)


def test_inverse_time_decay_is_a_over_b_plus_t():
    opt, schedule = FakeOptimizer(), InverseTimeDecay(a=2.0, b=4.0)
    assert schedule.rate(0) == 0.5
    for t in range(1, 6):
        schedule.update(opt, t, {})
        assert opt.learning_rate == pytest.approx(2.0 / (4.0 + t))


def test_momentum_ramp_goes_from_half_to_final_once_stable():
    opt, ramp = FakeOptimizer(), MomentumRamp(0.5, 0.9, epochs=3)
    values = [ramp.value(0)]
    for t in range(1, 6):
        ramp.update(opt, t, {})
        values.append(opt.momentum)
    assert values == [0.5, 0.5, 0.5, 0.9, 0.9, 0.9]
