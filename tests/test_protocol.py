"""The parameter protocol end to end: a made-up layer, checkpoints (old format, BN state, errors),
train/eval modes in the Solver and the course's functions, early stopping, the cfg's new keys."""
import json
import os
import re

import numpy as np
import pytest

import cli
import solver as solver_module
from criterion import SoftmaxCrossEntropyLossLayer
from layers import BatchNormLayer, FCLayer, Layer
from loss import SoftmaxCrossEntropyLoss
from network import Network, build_mlp
from optimizer import SGD, AdaGrad, Adam, RMSProp
from solver import Solver

DATA = os.path.join(os.path.dirname(__file__), '..', 'data')
RULES = [lambda m: SGD(m, 0.1, momentum=0.9, weight_decay=0.1, nesterov=True), lambda m: AdaGrad(m, 0.1),
         lambda m: RMSProp(m, 0.01), lambda m: Adam(m, 0.01, weight_decay=0.1)]


class ScaleLayer(Layer):
    """y = x ⊙ scale, a layer no other module knows: one parameter `scale` (1, d), decayed."""
    params, decay, trainable = ('scale',), ('scale',), True

    def __init__(self, d):
        self.scale, self.grad_scale = np.ones((1, d)), np.zeros((1, d))

    def forward(self, Input):
        self.Input = Input
        return Input * self.scale

    def backward(self, delta):
        self.grad_scale = np.sum(delta * self.Input, axis=0, keepdims=True)
        return delta * self.scale


@pytest.mark.parametrize('make', RULES)
def test_a_new_layer_with_its_own_parameter_is_trained_counted_and_saved(make, rng, tmp_path):
    net = Network([FCLayer(5, 4, rng=0, dtype=np.float64), ScaleLayer(4), FCLayer(4, 3, rng=1, dtype=np.float64)])
    criterion, optimizer = SoftmaxCrossEntropyLossLayer(), make(net)
    x, labels = rng.standard_normal((20, 5)), rng.integers(0, 3, 20)
    first = criterion.forward(net.forward(x), labels)
    for _ in range(20):
        criterion.forward(net.forward(x), labels)
        net.backward(criterion.backward())
        optimizer.step()
    scale = net.layers[1].scale
    assert not np.allclose(scale, 1) and criterion.forward(net.forward(x), labels) < first
    assert net.num_params() == 5 * 4 + 4 + 4 + 4 * 3 + 3 and '4 parameters' in repr(net)
    assert len(net.gradient_norms()) == 3   # W, scale, W: the decayed ones
    net.save(tmp_path / 'net.npz')
    other = Network([FCLayer(5, 4, rng=7, dtype=np.float64), ScaleLayer(4), FCLayer(4, 3, rng=8, dtype=np.float64)])
    other.load(tmp_path / 'net.npz')
    assert np.array_equal(other.layers[1].scale, scale) and np.array_equal(other.forward(x), net.forward(x))


def test_a_checkpoint_in_the_first_format_still_loads(rng, tmp_path):
    """W0, b0, W1, b1 and metadata, written as the code before the protocol wrote them."""
    arrays = {'W0': rng.standard_normal((784, 16)).astype(np.float32), 'b0': rng.standard_normal((1, 16)),
              'W1': rng.standard_normal((16, 10)), 'b1': np.zeros((1, 10), np.float32)}
    path = tmp_path / 'old.npz'
    np.savez(path, metadata=np.array(json.dumps({'model': 'Network', 'layers': []})), **arrays)
    net = build_mlp([16])
    assert net.load(path) is None
    for layer, i in zip(net.trainable_layers(), range(2)):
        assert np.array_equal(layer.W, arrays[f'W{i}'].astype(np.float32)) and layer.W.dtype == np.float32
        assert np.array_equal(layer.b, arrays[f'b{i}'].astype(np.float32))
    case1 = SoftmaxCrossEntropyLoss(784, 16)
    np.savez(tmp_path / 'case1.npz', metadata=np.array('{}'), W0=arrays['W0'], b0=arrays['b0'])
    case1.load(tmp_path / 'case1.npz')
    assert np.array_equal(case1.W, arrays['W0'])


def trained_batch_norm_net(rng):
    net = build_mlp([6], num_input=5, num_classes=3, dtype='float64', batch_norm=True, dropout=0.5)
    criterion, optimizer = SoftmaxCrossEntropyLossLayer(), Adam(net, 0.05)
    for _ in range(5):
        criterion.forward(net.forward(rng.standard_normal((16, 5)) * 2 + 1), rng.integers(0, 3, 16))
        net.backward(criterion.backward())
        optimizer.step()
    return net


def test_checkpoints_round_trip_batch_norm_with_its_running_statistics(rng, tmp_path):
    net, x = trained_batch_norm_net(rng), rng.standard_normal((4, 5))
    bn = net.layers[1]
    assert not np.allclose(bn.running_mean, 0) and not np.allclose(bn.gamma, 1)
    net.save(tmp_path / 'bn.npz')
    with np.load(tmp_path / 'bn.npz') as archive:
        assert {'W0', 'b0', 'gamma1', 'beta1', 'running_mean1', 'running_var1', 'W2', 'b2'} < set(archive.files)
    fresh = build_mlp([6], num_input=5, num_classes=3, dtype='float64', batch_norm=True, dropout=0.5, seed=3)
    fresh.load(tmp_path / 'bn.npz')
    assert np.array_equal(fresh.layers[1].running_var, bn.running_var)
    assert np.array_equal(fresh.predict(x), net.predict(x))


def test_checkpoint_errors_name_the_key(rng, tmp_path):
    net = trained_batch_norm_net(rng)
    net.save(tmp_path / 'bn.npz')
    build_mlp([6], num_input=5, num_classes=3).save(tmp_path / 'plain.npz')
    with pytest.raises(ValueError, match=r'parameter gamma1 missing'):
        build_mlp([6], num_input=5, num_classes=3, batch_norm=True).load(tmp_path / 'plain.npz')
    with pytest.raises(ValueError, match=r'parameter gamma1 has shape \(1, 6\), the model expects \(1, 7\)'):
        Network([FCLayer(5, 6), BatchNormLayer(7), FCLayer(6, 3)]).load(tmp_path / 'bn.npz')
    with pytest.raises(ValueError, match=r"holds parameters \['W2', 'b2', 'beta1', 'gamma1', 'running_mean1', "
                                         r"'running_var1'\] that this model does not have"):
        Network([FCLayer(5, 6)]).load(tmp_path / 'bn.npz')


class ModeProbe(Layer):
    """Records the training flag it sees on every forward."""

    def __init__(self):
        self.seen = []

    def forward(self, Input):
        self.seen.append(self.training)
        return Input

    def backward(self, delta):
        return delta


def test_the_solver_trains_in_training_mode_and_validates_and_tests_in_eval_mode(blobs):
    probe = ModeProbe()
    net = Network([probe, FCLayer(20, 3, rng=0)]).eval()
    runner = Solver({'data': blobs, 'model': net, 'max_epoch': 2, 'batch_size': 100, 'verbose': False})
    runner.train()
    # per epoch: 6 training batches, then 1 validation batch
    assert probe.seen == [True] * 6 + [False] + [True] * 6 + [False]
    assert not net.training and not probe.training   # the mode it was given is restored
    net.train()
    runner.test()
    solver_module.test(net, SoftmaxCrossEntropyLossLayer(), blobs['test'], 50)
    assert probe.seen[14:] == [False] * 5 and net.training


def test_early_stopping_restores_the_best_epoch_with_batch_norm_state(blobs, rng):
    """Validation labels drawn at random: the validation accuracy wanders, so training stops."""
    data = dict(blobs, val=(blobs['val'][0], rng.integers(0, 3, 200)))
    net = build_mlp([16], num_input=20, num_classes=3, batch_norm=True, dropout=0.3)
    runner = Solver({'data': data, 'model': net, 'optimizer': 'adam', 'learning_rate': 0.01, 'max_epoch': 40,
                     'patience': 3, 'batch_size': 50, 'verbose': False})
    runner.train()
    val_acc = runner.history['val_acc']
    best = int(np.argmax(val_acc))
    assert runner.stopped == 'early_stopping' and len(val_acc) == best + 4 < 40
    assert f'weights of epoch {best + 1} are restored' in runner.stop_reason   # epochs counted from 1
    val_loss = runner.history['val_loss']
    assert runner.validate() == (val_loss[best], val_acc[best]) and val_loss[best] != val_loss[-1]


@pytest.mark.parametrize('cfg, words', [
    ({'optimizer': 'adamw'}, "cfg['optimizer'] = 'adamw': expected None or 'sgd', 'adagrad', 'rmsprop', 'adam'"),
    ({'optimizer': 'adam', 'momentum': 0.9}, "cfg ['momentum']: not settings of cfg['optimizer'] = 'adam'"),
    ({'beta1': 0.5}, "cfg ['beta1']: not settings of cfg['optimizer'] = None"),
    ({'optimizer': 'adam', 'beta2': 1.0}, "cfg['beta2'] = 1.0: expected a number in [0, 1)"),
    ({'optimizer': 'rmsprop', 'eps': 0}, "cfg['eps'] = 0: expected a number in (0, ∞)"),
    ({'nesterov': 1}, "cfg['nesterov'] = 1: expected one of (False, True)"),
    ({'patience': 0}, "cfg['patience'] = 0: expected an integer in [1, ∞), or None (no early stopping)"),
    ({'optimizer': SGD(0.1), 'beta1': 0.5}, "cfg ['beta1'] and cfg['optimizer'] are both set"),
])
def test_new_settings_are_checked_before_any_work(blobs, cfg, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        Solver({'data': blobs, 'verbose': False, **cfg})


@pytest.mark.parametrize('rule, rate', [('sgd', 0.01), ('adagrad', 0.01), ('rmsprop', 0.001), ('adam', 0.001)])
def test_a_rule_by_name_gets_its_settings_and_default_learning_rate(blobs, rule, rate):
    runner = Solver({'data': blobs, 'optimizer': rule, 'weight_decay': 0.5, 'verbose': False})
    assert type(runner.optimizer).__name__.lower() == rule and runner.optimizer.learning_rate == rate
    assert runner.optimizer.weight_decay == 0.5
    adam = Solver({'data': blobs, 'optimizer': 'adam', 'beta1': 0.8, 'learning_rate': 0.1, 'verbose': False})
    assert adam.optimizer.beta1 == 0.8 and adam.optimizer.learning_rate == 0.1


def test_cli_trains_an_mlp_with_the_tricks(tmp_path, capsys):
    cli.main(['--data-root', DATA, '--hidden', '32', '--batch-norm', '--dropout', '0.2',
                        '--optimizer', 'adam', '--lr', '0.01', '--epochs', '1', '--batch-size', '500',
                        '--display-freq', '1000', '--plot', str(tmp_path / 'c'), '--save', str(tmp_path / 'w.npz')])
    accuracy = float(re.search(r'Test accuracy (\S+)', capsys.readouterr().out).group(1))
    assert accuracy > 0.9
    assert (tmp_path / 'c').read_bytes()[:4] == b'\x89PNG' and len(list(tmp_path.iterdir())) == 2   # no partial file
    with np.load(tmp_path / 'w.npz') as archive:
        assert 'running_var1' in archive.files


def test_keep_best_keeps_a_frozen_batch_norm_layers_statistics_too(blobs):
    norm = BatchNormLayer(16)
    norm.trainable = False   # γ and β stay, but its running statistics still follow the batches in training
    net = Network()
    for layer in (FCLayer(20, 16, rng=0), norm, FCLayer(16, 3, rng=1)):
        net.add(layer)
    runner = Solver({'data': blobs, 'model': net, 'criterion': SoftmaxCrossEntropyLossLayer(), 'max_epoch': 2,
                     'keep_best': True, 'verbose': False})
    runner.train()
    assert {name for layer, name in runner.best.arrays if layer is norm} == {'gamma', 'beta', 'running_mean',
                                                                        'running_var'}


def test_batch_norm_statistics_keep_the_layers_dtype(rng):
    norm = BatchNormLayer(4, dtype=np.float32)
    norm.forward(rng.standard_normal((8, 4)))   # a float64 batch
    assert norm.running_mean.dtype == norm.running_var.dtype == np.float32


def test_an_optimizer_object_must_be_an_optimizer(blobs):
    class StepOnly:
        def step(self):
            pass
    with pytest.raises(ValueError, match=r"cfg\['optimizer'\].*bind\(model\)"):
        Solver({'data': blobs, 'optimizer': StepOnly(), 'verbose': False})
