"""The diagnoses are themselves tested: each usual mistake, planted in the project's code, makes the
test that teaches fail with the mistake's name; a TODO not done yet fails with "not implemented yet".
Teacher-only (not in a release)."""
import numpy as np
import pytest

import criterion
import diagnose
import layers
import optimizer
import test_case1
import test_case2


def failure(test, *args):
    """The message of the failure `test(*args)` ends with (it must fail)."""
    with pytest.raises(pytest.fail.Exception) as info:
        test(*args)
    return str(info.value)


def naive_softmax_parts(logit):
    y = np.exp(logit)
    total = y.sum(axis=1, keepdims=True)
    return logit, y / total, np.log(total)


def backward_summed(self):
    return criterion.subtract_targets(self.y.copy(), self.gt)


def forward_summed(self, logit, gt):
    gt = criterion.check_targets(logit, gt)
    s, self.y, log_total = criterion.softmax_parts(logit)
    self.gt, self.acc = gt, criterion.accuracy(logit, gt)
    self.loss = float(-(np.eye(logit.shape[1])[gt] * (s - log_total)).sum()) if gt.ndim == 1 else float(
        -(gt * (s - log_total)).sum())
    return self.loss


def gradients_with(grad_W, grad_b):
    def gradients(self, delta):
        self.grad_W, self.grad_b = grad_W(self.Input, delta), grad_b(delta)
    return gradients


def sgd_with(rule):
    """An SGD._update_plain that computes (w, v) <- rule(w, v, ∇E, decay, self)."""
    def update(self, param, grad, state, decay):
        param[...], state['v'][...] = rule(param.copy(), state['v'].copy(), grad, decay, self)
    return update


def momentum_inside(w, v, g, decay, opt):
    v = opt.momentum * (v - opt.learning_rate * g)
    return w + v, v


def momentum_sign(w, v, g, decay, opt):
    v = opt.momentum * v + opt.learning_rate * g
    return w + v, v


def velocity_lost(w, v, g, decay, opt):
    return w - opt.learning_rate * g, v


def decay_on_everything(w, v, g, decay, opt):
    v = opt.momentum * v - opt.learning_rate * (g + opt.weight_decay * w)
    return w + v, v


def nesterov_lost(w, v, g, decay, opt):
    v = opt.momentum * v - opt.learning_rate * (g + decay * w)
    return w + v, v


def plain_fc_gradients(x, delta):
    return x.T @ delta


SUM_B = (lambda delta: delta.sum(axis=0, keepdims=True))
MUTATIONS = {   # id: (object, attribute, broken version, test, its arguments, what the failure must say)
    'softmax overflow': (criterion, 'softmax_parts', naive_softmax_parts,
                         test_case1.test_softmax_parts_is_the_softmax_without_overflow, ('rng',),
                         'softmax overflows'),
    'softmax overflow in the loss': (criterion, 'softmax_parts', naive_softmax_parts,
                                     test_case1.test_softmax_cross_entropy_survives_large_logits, (),
                                     'softmax overflows'),
    'loss summed': (criterion.SoftmaxCrossEntropyLossLayer, 'forward', forward_summed,
                    test_case1.test_softmax_cross_entropy_forward, ('labels', 'rng'),
                    'summed over the batch instead'),
    'gradient summed': (criterion.SoftmaxCrossEntropyLossLayer, 'backward', backward_summed,
                        test_case1.test_softmax_cross_entropy_gradient_matches_the_numerical_one, ('labels', 'rng'),
                        'summed over the batch instead of averaged'),
    'transposed grad_W': (layers.FCLayer, 'gradients', gradients_with(lambda x, d: d.T @ x, SUM_B),
                          test_case2.test_fc_gradients_match_the_numerical_ones, ('rng',), 'transposed shape'),
    'bias not summed': (layers.FCLayer, 'gradients', gradients_with(plain_fc_gradients, lambda d: d.copy()),
                        test_case2.test_fc_gradients_match_the_numerical_ones, ('rng',),
                        'bias gradient not summed over the batch'),
    'averaged twice': (layers.FCLayer, 'gradients', gradients_with(lambda x, d: x.T @ d / len(d), SUM_B),
                       test_case2.test_fc_gradients_match_the_numerical_ones, ('rng',), 'averaged twice'),
    'ReLU sign': (layers.ReLULayer, 'backward', lambda self, delta: -delta * (self.output > 0),
                  test_case2.test_relu, ('rng',), 'wrong sign'),
    'ReLU forgets to return': (layers.ReLULayer, 'backward', lambda self, delta: None,
                               test_case2.test_activation_backward, ('ReLU', 'rng'), 'is None'),
    'sigmoid overflow': (layers.SigmoidLayer, 'forward',
                         lambda self, u: setattr(self, 'output', 1 / (1 + np.exp(-u))) or self.output,
                         test_case2.test_sigmoid_stays_quiet_and_finite_at_large_inputs, (), 'overflows'),
    'momentum on the wrong term': (optimizer.SGD, '_update_plain', sgd_with(momentum_inside),
                                   test_case1.test_sgd_with_momentum_follows_the_lecture, (False, 'rng'),
                                   'momentum applied to the wrong term: γ scales the new step too'),
    'momentum sign': (optimizer.SGD, '_update_plain', sgd_with(momentum_sign),
                      test_case1.test_sgd_with_momentum_follows_the_lecture, (False, 'rng'), 'wrong sign'),
    'velocity lost': (optimizer.SGD, '_update_plain', sgd_with(velocity_lost),
                      test_case1.test_sgd_with_momentum_follows_the_lecture, (False, 'rng'), 'momentum lost'),
    'decay on the bias': (optimizer.SGD, '_update_plain', sgd_with(decay_on_everything),
                          test_case2.test_sgd_with_weight_decay_as_the_course_calls_it, (False, 'rng'),
                          'weight decay on the bias'),
    'decay on the bias in case 1': (optimizer.SGD, '_update_plain', sgd_with(decay_on_everything),
                                    test_case1.test_sgd_with_weight_decay_spares_the_bias, (False, 'rng'),
                                    'weight decay on the bias'),
    'Nesterov as plain momentum': (optimizer.SGD, '_update_plain', sgd_with(nesterov_lost),
                                   test_case1.test_sgd_nesterov_follows_the_lecture, (False, 'rng'),
                                   "Nesterov's look-ahead lost"),
}


@pytest.mark.parametrize('mutation', list(MUTATIONS))
def test_each_usual_mistake_is_named(mutation, monkeypatch):
    owner, name, broken, test, args, says = MUTATIONS[mutation]
    monkeypatch.setattr(owner, name, broken)
    message = failure(test, *(np.random.default_rng(0) if a == 'rng' else a for a in args))
    assert says in message, message
    assert 'not implemented yet' not in message


def test_the_fast_path_is_diagnosed_too(monkeypatch):
    monkeypatch.setattr(optimizer.SGD, '_update_fast', lambda self, param, grad, state, scratch, decay:
                        sgd_with(momentum_sign)(self, param, grad, state, decay))
    message = failure(test_case1.test_sgd_with_momentum_follows_the_lecture, True, np.random.default_rng(0))
    assert 'wrong sign' in message


def test_a_mistake_outside_the_list_still_says_where(monkeypatch):
    monkeypatch.setattr(layers.FCLayer, 'gradients',
                        gradients_with(lambda x, d: x.T @ d + 0.01 * np.arange(d.shape[1]), SUM_B))
    message = failure(test_case2.test_fc_gradients_match_the_numerical_ones, np.random.default_rng(0))
    assert 'largest mismatch at index (' in message and 'none of the usual mistakes' in message, message


@pytest.mark.parametrize('raised, says', [
    (NotImplementedError('layers.py: TODO FCLayer.forward — not implemented yet'),
     'layers.py: TODO FCLayer.forward — not implemented yet'),
    (NotImplementedError(), 'layers.py: FCLayer.forward: not implemented yet')])
def test_a_todo_not_done_yet_is_named(raised, says, monkeypatch):
    def forward(self, Input):
        raise raised
    monkeypatch.setattr(layers.FCLayer, 'forward', forward)
    message = failure(test_case2.test_fc_forward_is_xw_plus_b, np.random.default_rng(0))
    assert says in message and 'Traceback' not in message, message


def update_as(mistake=None, form=None, decay_bias=False):
    """An SGD._update_plain that makes the named mistake of diagnose.SGD_MISTAKES or NESTEROV_MISTAKES,
    or forms ∇J with `form` (DECAY_MISTAKES) and, with decay_bias, decays every parameter by λ."""
    def update(self, param, grad, state, decay):
        param[...], state['v'][...] = diagnose.sgd_reference(
            param.copy(), state['v'].copy(), grad, self.learning_rate, self.momentum,
            self.weight_decay if decay_bias else decay, mistake, form, self.nesterov)
    return update


@pytest.mark.parametrize('mistake', list(diagnose.SGD_MISTAKES))
def test_every_momentum_mistake_is_told_apart_from_the_others(mistake, monkeypatch):
    monkeypatch.setattr(optimizer.SGD, '_update_plain', update_as(mistake))
    message = failure(test_case1.test_sgd_with_momentum_follows_the_lecture, False, np.random.default_rng(0))
    assert message.endswith('Diagnosis: ' + mistake), message


@pytest.mark.parametrize('mistake', list(diagnose.NESTEROV_MISTAKES))
def test_every_nesterov_mistake_is_told_apart_from_the_others(mistake, monkeypatch):
    monkeypatch.setattr(optimizer.SGD, '_update_plain', update_as(mistake))
    message = failure(test_case1.test_sgd_nesterov_follows_the_lecture, False, np.random.default_rng(0))
    assert message.endswith('Diagnosis: ' + mistake), message


@pytest.mark.parametrize('test', [test_case1.test_sgd_with_weight_decay_spares_the_bias,
                                  test_case2.test_sgd_with_weight_decay_as_the_course_calls_it],
                         ids=['case 1', 'case 2'])
@pytest.mark.parametrize('mistake', list(diagnose.DECAY_MISTAKES))
def test_every_weight_decay_mistake_is_told_apart_from_the_others(mistake, test, monkeypatch):
    on_bias, form = diagnose.DECAY_MISTAKES[mistake]
    monkeypatch.setattr(optimizer.SGD, '_update_plain', update_as(form=form, decay_bias=on_bias))
    message = failure(test, False, np.random.default_rng(0))
    assert message.endswith('Diagnosis: ' + mistake), message


def test_an_unfinished_todo_is_said_once(monkeypatch):
    def forward(self, Input):
        raise NotImplementedError('layers.py: TODO FCLayer.forward — not implemented yet')
    monkeypatch.setattr(layers.FCLayer, 'forward', forward)
    with pytest.raises(pytest.fail.Exception) as info:
        test_case2.test_fc_forward_is_xw_plus_b(np.random.default_rng(0))
    assert info.value.__suppress_context__ and str(info.value).count('not implemented yet') == 1


def test_a_near_miss_with_one_sample_is_not_called_a_batch_size_mistake():
    want = np.array([[0.5, -1.0], [2.0, 0.25]])
    assert diagnose.mistake(want * (1 + 2e-5), want, 1) is None
    assert diagnose.mistake(-want, want, 1).startswith('wrong sign')
