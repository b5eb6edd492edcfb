"""Dropout and batch normalization (gradients, modes) and the update rules against their formulas."""
import numpy as np
import pytest

from gradcheck import numerical_gradient, relative_error
from layers import BatchNormLayer, DropoutLayer, FCLayer, ReLULayer
from loss import SoftmaxCrossEntropyLoss
from network import Network
from optimizer import BLOCK, SGD, AdaGrad, Adam, RMSProp, flush_subnormals
from schedule import InverseTimeDecay, MomentumRamp

RULES = [lambda m: SGD(m, 0.1, momentum=0.9, weight_decay=0.01),
         lambda m: SGD(m, 0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
         lambda m: AdaGrad(m, 0.1, weight_decay=0.01),
         lambda m: RMSProp(m, 0.01, decay_rate=0.9, weight_decay=0.01),
         lambda m: Adam(m, 0.01, weight_decay=0.01)]
RULE_IDS = ['sgd', 'nesterov', 'adagrad', 'rmsprop', 'adam']


def checked_gradients(layer, x, upstream, names):
    """Relative errors of dE/dx and dE/d(each parameter) for E = Σ y ⊙ upstream."""
    def objective():
        return np.sum(layer.forward(x) * upstream)
    numerical = {name: numerical_gradient(objective, getattr(layer, name)) for name in names}
    numerical['x'] = numerical_gradient(objective, x)
    objective()
    analytic = {'x': layer.backward(upstream), **{name: getattr(layer, 'grad_' + name) for name in names}}
    return {name: relative_error(analytic[name], numerical[name]) for name in numerical}


@pytest.mark.parametrize('training', [True, False])
def test_batch_norm_gradients_of_x_gamma_beta(rng, training):
    layer = BatchNormLayer(5, dtype=np.float64)
    layer.gamma, layer.beta = rng.standard_normal((1, 5)), rng.standard_normal((1, 5))
    layer.running_mean, layer.running_var = rng.standard_normal((1, 5)), rng.uniform(0.5, 2, (1, 5))
    layer.training = training
    x, upstream = rng.standard_normal((8, 5)) * 3 + 1, rng.standard_normal((8, 5))
    errors = checked_gradients(layer, x, upstream, ('gamma', 'beta'))
    assert max(errors.values()) < 1e-7, errors


def test_dropout_gradient_with_its_mask_fixed(rng):
    layer = DropoutLayer(0.4)
    x, upstream = rng.standard_normal((6, 7)), rng.standard_normal((6, 7))

    def objective():
        layer.rng = np.random.default_rng(5)   # the same mask on every call
        return np.sum(layer.forward(x) * upstream)
    numerical = numerical_gradient(objective, x)
    objective()
    assert 0 < np.count_nonzero(layer.mask) < x.size
    assert relative_error(layer.backward(upstream), numerical) < 1e-8


def test_dropout_scales_kept_units_in_training_and_is_the_identity_in_eval(rng):
    layer, x = DropoutLayer(0.25, rng=3), rng.uniform(1, 2, (200, 100)).astype(np.float32)
    y = layer.forward(x)
    kept = y != 0
    assert np.allclose(y[kept], x[kept] / 0.75) and y.dtype == np.float32
    assert abs(1 - kept.mean() - 0.25) < 0.01
    layer.training = False
    assert np.array_equal(layer.forward(x), x) and np.array_equal(layer.backward(x), x)


def test_dropout_masks_are_seeded():
    x = np.ones((4, 50))
    assert np.array_equal(DropoutLayer(0.5, rng=1).forward(x), DropoutLayer(0.5, rng=1).forward(x))
    assert not np.array_equal(DropoutLayer(0.5, rng=1).forward(x), DropoutLayer(0.5, rng=2).forward(x))


def test_batch_norm_normalizes_in_training_and_updates_running_statistics_only_then(rng):
    layer, x = BatchNormLayer(4, momentum=0.8, dtype=np.float64), rng.standard_normal((50, 4)) * 3 + 2
    y = layer.forward(x)
    assert np.allclose(y.mean(axis=0), 0, atol=1e-12) and np.allclose(y.std(axis=0), 1, atol=1e-4)
    assert np.allclose(layer.running_mean, 0.2 * x.mean(axis=0))
    assert np.allclose(layer.running_var, 0.8 + 0.2 * x.var(axis=0))
    stats = layer.running_mean.copy(), layer.running_var.copy()
    layer.training = False
    layer.gamma, layer.beta = np.full((1, 4), 2.0), np.full((1, 4), 0.5)
    one = layer.forward(x[:1])   # a batch of one: only the running statistics make sense
    assert np.allclose(one, 2 * (x[:1] - stats[0]) / np.sqrt(stats[1] + 1e-5) + 0.5)
    assert np.array_equal(layer.running_mean, stats[0]) and np.array_equal(layer.running_var, stats[1])


def test_eval_mode_is_deterministic_and_training_mode_is_not(rng):
    net = Network([FCLayer(6, 8, rng=0), BatchNormLayer(8), ReLULayer(), DropoutLayer(0.5, rng=1),
                   FCLayer(8, 3, rng=2)])
    x = rng.standard_normal((10, 6)).astype(np.float32)
    assert net.eval() is net and not any(layer.training for layer in net.layers)
    assert np.array_equal(net.forward(x), net.forward(x))
    assert np.array_equal(net.forward(x[:3]), net.forward(x)[:3])   # no dependence on the batch
    net.train()
    assert all(layer.training for layer in net.layers)
    assert not np.array_equal(net.forward(x), net.forward(x))
    assert np.array_equal(net.predict(x), net.eval().forward(x)) and not net.train().predict(x) is None
    assert net.training and net.layers[3].training   # predict restores the mode it found


# ---------------------------------------------------------------- the update rules

def reference_rule(kind, w, g, state, t, decay):
    """The textbook update of `kind` written out here, independently of optimizer.py."""
    g = g + decay * w
    if kind in ('sgd', 'nesterov'):
        state['v'] = 0.9 * state.get('v', 0) - 0.1 * g
        return w + (0.9 * state['v'] - 0.1 * g if kind == 'nesterov' else state['v'])
    if kind == 'adagrad':
        state['G'] = state.get('G', 0) + g ** 2
        return w - 0.1 * g / (np.sqrt(state['G']) + 1e-8)
    if kind == 'rmsprop':
        state['s'] = 0.9 * state.get('s', 0) + 0.1 * g ** 2
        return w - 0.01 * g / (np.sqrt(state['s']) + 1e-8)
    state['m'] = 0.9 * state.get('m', 0) + 0.1 * g
    state['v'] = 0.999 * state.get('v', 0) + 0.001 * g ** 2
    m_hat, v_hat = state['m'] / (1 - 0.9 ** t), state['v'] / (1 - 0.999 ** t)
    return w - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8)


def net_with_batch_norm():
    return Network([FCLayer(4, 3, rng=0, dtype=np.float64), BatchNormLayer(3, dtype=np.float64),
                    FCLayer(3, 2, rng=1, dtype=np.float64)])


@pytest.mark.parametrize('fast', [True, False])
@pytest.mark.parametrize('make, kind', list(zip(RULES, RULE_IDS)), ids=RULE_IDS)
def test_every_rule_follows_its_formula_with_decay_on_weights_only(make, kind, fast, rng):
    net = net_with_batch_norm()
    optimizer = make(net)
    optimizer.fast = fast
    params = net.parameters()
    expected = {key: getattr(*key).copy() for key in params}
    states = {key: {} for key in params}
    for t in range(1, 6):
        for layer, name in params:
            setattr(layer, 'grad_' + name, rng.standard_normal(getattr(layer, name).shape))
        for key in params:
            decay = 0.01 if key[1] == 'W' else 0.0   # never b, gamma or beta
            expected[key] = reference_rule(kind, expected[key], getattr(key[0], 'grad_' + key[1]), states[key],
                                           t, decay)
        optimizer.step()
        for key in params:
            np.testing.assert_allclose(getattr(*key), expected[key], rtol=1e-12, atol=1e-14, err_msg=str(key))
    assert [name for _, name in params] == ['W', 'b', 'gamma', 'beta', 'W', 'b']


@pytest.mark.parametrize('make', RULES, ids=RULE_IDS)
def test_the_fast_path_equals_the_plain_form_on_pieces_and_mixed_dtypes(make, rng):
    # 1100 x 500 = 550,000 weights: more than two pieces of BLOCK; b in float64 beside a float32 W
    layers = [FCLayer(1100, 500, rng=0, dtype=np.float32) for _ in range(2)]
    for layer in layers:
        layer.b = np.zeros((1, 500))
    fast, plain = make(Network([layers[0]])), make(Network([layers[1]]))
    plain.fast = False
    for _ in range(4):
        grads = rng.standard_normal((1100, 500)).astype(np.float32), rng.standard_normal((1, 500))
        for layer in layers:
            layer.grad_W, layer.grad_b = grads
        fast.step()
        plain.step()
    assert layers[0].W.size > 2 * BLOCK and layers[0].b.dtype == np.float64
    np.testing.assert_allclose(layers[0].W, layers[1].W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layers[0].b, layers[1].b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('make', RULES, ids=RULE_IDS)
def test_every_rule_trains_case_1s_model_and_follows_the_learning_rate_schedule(make, rng):
    model = SoftmaxCrossEntropyLoss(6, 3, rng=0, dtype=np.float64)
    x, labels = rng.standard_normal((30, 6)), rng.integers(0, 3, 30)
    optimizer, schedule = make(model), InverseTimeDecay(a=1.0, b=4.0)
    first, _ = model.forward(x, labels)
    for epoch in range(1, 31):
        model.gradient_computing()
        optimizer.step()
        schedule.update(optimizer, epoch, {})
        loss, _ = model.forward(x, labels)
    assert optimizer.learning_rate == pytest.approx(1.0 / 34) and loss < first * 0.8


def test_momentum_ramp_sets_adams_beta1_and_is_refused_by_rules_without_momentum():
    adam, ramp = Adam(SoftmaxCrossEntropyLoss(4, 2, rng=0), 0.01), MomentumRamp(0.5, 0.95, epochs=1)
    ramp.update(adam, 1, {})
    assert adam.beta1 == 0.95 and adam.momentum == 0.95
    for rule in (AdaGrad, RMSProp):
        assert rule(None).momentum == 0.0
        with pytest.raises(AttributeError, match='no momentum'):
            ramp.update(rule(None), 1, {})


def test_rules_without_a_model_bind_on_step_and_reject_bad_settings():
    model = SoftmaxCrossEntropyLoss(4, 2, rng=0)
    model.grad_W, model.grad_b = np.ones((4, 2), np.float32), np.ones((1, 2), np.float32)
    W = model.W.copy()
    Adam(None, 0.1).step(model)
    assert np.allclose(model.W, W - 0.1, atol=1e-6)   # Adam's first step: α·sign(∇J)
    with pytest.raises(ValueError, match='no model yet'):
        RMSProp(None).step()
    for bad in (lambda: Adam(model, beta1=1.0), lambda: RMSProp(model, eps=0), lambda: AdaGrad(model, -1)):
        with pytest.raises(ValueError, match='expected a number'):
            bad()


def test_adams_moments_of_unused_weights_never_stay_subnormal():
    layer = FCLayer(2, 2, rng=0)
    adam = Adam(Network([layer]), 0.01)
    layer.grad_W, layer.grad_b = np.ones_like(layer.W), np.ones_like(layer.b)
    adam.step()
    layer.grad_W, layer.grad_b = np.zeros_like(layer.W), np.zeros_like(layer.b)
    tiny = np.finfo(np.float32).tiny
    for _ in range(900):   # 0.1 · 0.9^899 is subnormal in float32
        adam.step()
        m = adam.state[(layer, 'W')]['m']
        assert np.all((m == 0) | (np.abs(m) >= tiny))
    flush_subnormals(m)
    assert not m.any()
