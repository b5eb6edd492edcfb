"""Solver end to end on the shipped MNIST, settings checks, divergence, Ctrl-C, reproducibility."""
import os
import re
import signal

import numpy as np
import pytest

import cli
import solver as solver_module
from layers import FCLayer, ReLULayer
from criterion import EuclideanLossLayer, SoftmaxCrossEntropyLossLayer
from network import Network
from solver import Solver, build_mlp

DATA = os.path.join(os.path.dirname(__file__), '..', 'data')
QUIET = {'data_root': DATA, 'verbose': False}


def test_case1_end_to_end_reaches_90_percent_on_the_test_set(capsys):
    runner = Solver({'data_root': DATA, 'max_epoch': 3, 'batch_size': 100, 'learning_rate': 0.01,
                     'momentum': 0.9, 'display_freq': 50})
    loss, acc = runner.train()
    assert len(loss) == len(acc) == 3 and all(isinstance(v, float) for v in loss + acc)
    assert loss[0] > loss[-1] and acc[-1] > acc[0]
    test_loss, test_acc = runner.test()
    assert test_acc >= 0.90 and test_loss < 0.4
    assert type(test_loss) is float and type(test_acc) is float
    out = capsys.readouterr().out
    assert out.count('Average validation accuracy') == 3 and 'Batch [550]' not in out and 'Batch [500][550]' in out


@pytest.mark.parametrize('batch_size', [32, 256, 55000])
def test_batch_sizes_that_do_not_divide_the_data_work(batch_size):
    runner = Solver({**QUIET, 'max_epoch': 1, 'batch_size': batch_size, 'learning_rate': 0.5})
    runner.train()
    assert runner.optimizer.steps == -(-55000 // batch_size)
    assert runner.validate()[1] > (0.8 if batch_size < 1000 else 0.3)


def test_mlp_through_the_same_solver():
    net = build_mlp([128], 'relu', seed=0, dtype='float32')
    runner = Solver({**QUIET, 'max_epoch': 2, 'learning_rate': 0.1, 'momentum': 0.9,
                     'model': net, 'criterion': SoftmaxCrossEntropyLossLayer()})
    runner.train()
    assert runner.test()[1] >= 0.96
    assert len(runner.history['grad_norms'][0]) == 2


def test_solver_applies_schedules_and_records_them():
    runner = Solver({**QUIET, 'max_epoch': 3, 'learning_rate': 0.1, 'lr_schedule': 'inverse_time',
                     'lr_decay_b': 2.0, 'momentum': 0.9, 'momentum_ramp_epochs': 2})
    runner.train()
    assert runner.history['learning_rate'] == pytest.approx([0.1, 0.2 / 3, 0.05])
    assert runner.history['momentum'] == [0.5, 0.5, 0.9]


@pytest.mark.parametrize('cfg, words', [
    ({'learning_rate': 0}, "cfg['learning_rate'] = 0: expected a number in (0, ∞)"),
    ({'momentum': 1.0}, "cfg['momentum'] = 1.0: expected a number in [0, 1)"),
    ({'batch_size': 0}, "cfg['batch_size'] = 0"),
    ({'batch_size': 60000}, "cfg['batch_size'] = 60000: expected at most 55000"),
    ({'max_epoch': 2.5}, "cfg['max_epoch'] = 2.5: expected an integer"),
    ({'max_epoch': True}, "cfg['max_epoch'] = True"),
    ({'learning_rte': 0.1}, "unknown cfg key(s) ['learning_rte']; valid keys: ['batch_size', 'criterion',"),
    ({'dtype': 'float16'}, "cfg['dtype'] = 'float16': expected one of"),
    ({'criterion': EuclideanLossLayer()}, "needs a Network"),
])
def test_bad_settings_are_rejected_before_any_work(cfg, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        Solver({**QUIET, **cfg})


def test_cli_rejects_bad_values_and_runs_the_main_job(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(['--lr', '-1', '--data-root', DATA])
    assert info.value.code == 2 and '--lr -1.0: expected a number in (0, ∞)' in capsys.readouterr().err
    plot, weights = tmp_path / 'curves.png', tmp_path / 'w.npz'
    cli.main(['--data-root', DATA, '--epochs', '1', '--batch-size', '500', '--lr', '0.1',
                        '--display', 'live', '--plot', str(plot), '--save', str(weights)])
    out = capsys.readouterr().out
    accuracy = float(out.split('Test accuracy ')[1].split()[0])
    assert accuracy > 0.85 and plot.stat().st_size > 10_000 and weights.exists()
    assert out.startswith('epoch 1/1 [') and 'Batch [' not in out   # the live line (plain in a pipe), not the course's


@pytest.mark.filterwarnings('ignore:overflow encountered')
def test_divergence_stops_with_a_message_and_keeps_the_history(capsys):
    runner = Solver({**QUIET, 'max_epoch': 1, 'batch_size': 500, 'learning_rate': 0.1})
    runner.train()
    runner.optimizer.learning_rate = 1e38   # overflows float32 weights on the next step
    loss, acc = runner.train()
    assert len(loss) == len(acc) == 1
    assert runner.stopped == 'diverged' and 'in epoch 2, batch 2:' in runner.stop_reason and 'smaller learning rate' in runner.stop_reason
    assert 'Training stopped' in capsys.readouterr().out


class InterruptOnThirdBatch(SoftmaxCrossEntropyLossLayer):
    """A loss layer that presses Ctrl-C (SIGINT to this process) in the third training batch."""
    calls = 0

    def forward(self, logit, gt):
        self.calls += 1
        if self.calls == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return super().forward(logit, gt)


def test_ctrl_c_in_a_script_or_pytest_reaches_the_caller_at_the_first_press_with_the_history_kept():
    runner = Solver({**QUIET, 'max_epoch': 2, 'model': Network([FCLayer(784, 10, rng=0)]),
                     'criterion': InterruptOnThirdBatch()})
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    assert len(runner.history['iteration_loss']) == 2 and runner.stopped == 'interrupted'
    assert 'in epoch 1;' in runner.stop_reason
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_in_a_notebook_stops_after_the_current_batch_and_keeps_the_history(monkeypatch):
    monkeypatch.setattr(solver_module, 'in_notebook', lambda: True)
    runner = Solver({**QUIET, 'max_epoch': 2, 'model': Network([FCLayer(784, 10, rng=0)]),
                     'criterion': InterruptOnThirdBatch()})
    loss, _ = runner.train()
    assert runner.optimizer.steps == 3 and len(runner.history['iteration_loss']) == 3
    assert loss == [] and runner.stopped == 'interrupted'
    assert 'in epoch 1 after batch 3' in runner.stop_reason
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_same_seed_gives_bit_identical_runs(dtype):
    def run(seed):
        runner = Solver({**QUIET, 'max_epoch': 1, 'batch_size': 250, 'momentum': 0.9, 'seed': seed,
                         'dtype': dtype})
        runner.train()
        return runner.history['iteration_loss'], runner.model.W.copy()
    (losses_a, W_a), (losses_b, W_b), (losses_c, W_c) = run(3), run(3), run(4)
    assert losses_a == losses_b and np.array_equal(W_a, W_b) and W_a.dtype == dtype
    assert losses_a != losses_c and not np.array_equal(W_a, W_c)


def test_keep_best_restores_the_best_validation_weights():
    runner = Solver({**QUIET, 'max_epoch': 4, 'batch_size': 1000, 'learning_rate': 2.0, 'keep_best': True})
    runner.train()
    assert runner.validate()[1] == pytest.approx(max(runner.history['val_acc']))


# ---------------------------------------------------------------- checkpoints

def small_network(hidden=16):
    return Network([FCLayer(784, hidden, rng=1), ReLULayer(), FCLayer(hidden, 10, rng=2)])


def test_network_checkpoint_round_trip(tmp_path):
    net, other = small_network(), small_network()
    for layer in other.trainable_layers():
        layer.W = layer.W * 0
    net.save(tmp_path / 'net.npz')
    other.load(tmp_path / 'net.npz')
    for a, b in zip(net.trainable_layers(), other.trainable_layers()):
        assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)


def test_case1_checkpoint_round_trip(tmp_path):
    runner = Solver({**QUIET, 'max_epoch': 1, 'batch_size': 1000})
    runner.train()
    runner.model.save(tmp_path / 'softmax.npz')
    fresh = Solver({**QUIET, 'seed': 9})
    fresh.model.load(tmp_path / 'softmax.npz')
    assert fresh.test() == runner.test()


def test_loading_into_another_shape_names_the_parameter(tmp_path):
    small_network(16).save(tmp_path / 'net.npz')
    with pytest.raises(ValueError, match=r'W0 has shape \(784, 16\), the model expects \(784, 32\)'):
        small_network(32).load(tmp_path / 'net.npz')


def test_pickled_checkpoints_are_refused(tmp_path):
    path = tmp_path / 'evil.npz'
    np.savez(path, W0=np.array([{'payload': 1}], dtype=object), b0=np.zeros((1, 16)))
    with pytest.raises(ValueError, match='not a checkpoint'):
        small_network().load(path)


def test_interrupted_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / 'net.npz'
    net = small_network()
    net.save(path)
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(np, 'savez', interrupted)
    with pytest.raises(KeyboardInterrupt):
        small_network().save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ['net.npz']


def test_each_split_is_preprocessed_once_in_the_dtype_asked_for(monkeypatch):
    import dataloader
    made = []
    original = dataloader.Dataset.preprocessed

    def recording(self, dtype=np.float32):
        if np.dtype(dtype) not in self._preprocessed:
            made.append((self.mode, np.dtype(dtype).name))
        return original(self, dtype)
    monkeypatch.setattr(dataloader.Dataset, 'preprocessed', recording)
    runner = Solver({**QUIET, 'max_epoch': 1, 'batch_size': 5000, 'dtype': 'float64'})
    runner.train()
    runner.test()
    assert sorted(made) == [('test', 'float64'), ('train', 'float64'), ('val', 'float64')]
