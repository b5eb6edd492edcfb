"""`Solver(cfg)`: checks the settings, builds data, model and optimizer, trains, validates, tests.

One loop serves both cases of the course:
    case 1 (no 'model' in cfg): loss, acc = model.forward(x, y); model.gradient_computing()
    case 2 (cfg['model'] a Network, cfg['criterion'] a loss layer):
            loss = criterion.forward(net.forward(x), y); net.backward(criterion.backward())
then optimizer.step(). History is kept in plain lists in `solver.history`. The model is in
training mode while it trains and in eval mode while it is validated or tested (`loop.mode`).
Run `python solver.py --help` for the command line.
"""
import math
import time

import numpy as np

from config import RULE_SETTINGS, SettingError, check_cfg
from course_hint import FirstEpochHint
from dataloader import NUM_TRAIN, ArrayDataset, Dataloader, Dataset, as_dataset
from criterion import METRIC_NAMES, SoftmaxCrossEntropyLossLayer
from formatting import plural
from loop import BestWeights, Curve, DeferInterrupt, evaluate, forward_batch, mode  # noqa: F401 (importable here)
from loss import SoftmaxCrossEntropyLoss
from network import Network, build_convnet, build_mlp  # noqa: F401 (the course notebooks import them from here)
from optimizer import RULES
from progress import in_notebook, make_display
from schedule import InverseTimeDecay, MomentumRamp, ReduceOnPlateau

NUM_VAL = 5000     # the course validates on the 5,000 samples after the first 55,000
SPLITS = {'train': 'training', 'val': 'validation'}   # history key prefix: the split its curves show
EVAL_BATCH = 2000   # evaluation runs in large chunks: fewer Python round trips, same result


class Solver:
    """Trains case 1's softmax regression, or cfg['model'] with cfg['criterion'], with cfg['optimizer']."""

    def __init__(self, cfg):
        self.cfg = check_cfg(cfg)
        init_seed, shuffle_seed = np.random.SeedSequence(self.cfg['seed']).spawn(2)
        self.train_loader, self.val_loader, self.test_loader = self.build_loader(shuffle_seed)
        self.model, self.criterion = self.build_model(init_seed)
        self.optimizer = self.build_optimizer()
        self.metric = getattr(self.criterion, 'metric', 'acc')   # history keys train_acc or train_mse, ...
        self.history = {key: Curve(split=SPLITS[key.split('_')[0]]) for key in
                        ('train_loss', 'train_' + self.metric, 'val_loss', 'val_' + self.metric)}
        self.history.update({key: [] for key in ('learning_rate', 'momentum', 'epoch_time', 'iteration_loss',
                                                 'grad_norms')})
        self.stopped, self.stop_reason = None, None   # 'diverged', 'interrupted' or 'early_stopping'; the message
        self.best = None   # loop.BestWeights of the best validation epoch, with keep_best or patience
        self.display = make_display(self.cfg['display'] if self.cfg['verbose'] else 'none',
                                    METRIC_NAMES[self.metric], self.cfg['display_freq'])

    def build_loader(self, shuffle_seed):
        cfg, dtype = self.cfg, np.dtype(self.cfg['dtype'])
        if cfg['data'] is None:
            datasets = [Dataset(cfg['data_root'], mode, cfg['num_classes']) for mode in ('train', 'val', 'test')]
        else:
            datasets = [as_dataset(cfg['data'].get(mode), mode) for mode in ('train', 'val', 'test')]
        if cfg['batch_size'] > len(datasets[0]):
            raise SettingError(lambda names: f"{names.key('batch_size', cfg['batch_size'])}: expected at most "
                               f'{len(datasets[0])}, the size of the training split')
        train = Dataloader(datasets[0], cfg['batch_size'], cfg['shuffle'], cfg['max_epoch'], shuffle_seed, dtype)
        evals = [None if d is None else Dataloader(d, min(EVAL_BATCH, len(d)), dtype=dtype) for d in datasets[1:]]
        return (train, *evals)

    def build_model(self, init_seed):
        cfg = self.cfg
        if cfg['model'] is None:
            dim = self.train_loader.dataset.batch(np.arange(1), self.train_loader.dtype)[0].shape[1]
            return SoftmaxCrossEntropyLoss(dim, cfg['num_classes'], rng=init_seed, dtype=cfg['dtype']), None
        return cfg['model'], cfg['criterion'] or SoftmaxCrossEntropyLossLayer()

    def build_optimizer(self):
        """cfg['optimizer'] bound to the model, or the rule it names built from the cfg's settings,
        with the schedules it asks for in self.schedules."""
        cfg = self.cfg
        self.schedules = []
        if not (cfg['optimizer'] is None or isinstance(cfg['optimizer'], str)):
            return cfg['optimizer'].bind(self.model)
        rule = cfg['optimizer'] or 'sgd'
        settings = {key: cfg[key] for key in RULE_SETTINGS[rule] if key != 'momentum_ramp_epochs'}
        if cfg['momentum_ramp_epochs']:
            ramp = MomentumRamp(0.5, cfg['momentum'], cfg['momentum_ramp_epochs'])
            self.schedules.append(ramp)
            settings['momentum'] = ramp.value(0)
        if cfg['learning_rate'] is not None:
            settings['learning_rate'] = cfg['learning_rate']
        elif rule == 'sgd':
            settings['learning_rate'] = 0.01   # the course's α; the other rules have their own defaults
        optimizer = RULES[rule](self.model, weight_decay=cfg['weight_decay'], **settings)
        if cfg['lr_schedule'] == 'plateau':
            self.schedules.insert(0, ReduceOnPlateau(cfg['lr_factor'], cfg['lr_threshold'], cfg['lr_monitor']))
        elif cfg['lr_schedule'] == 'inverse_time':
            b = cfg['lr_decay_b']
            self.schedules.insert(0, InverseTimeDecay(optimizer.learning_rate * b, b))
        return optimizer

    # ------------------------------------------------------------ one batch

    def forward(self, images, labels):
        """(loss, acc) of a batch, leaving in the model what the backward pass needs."""
        return forward_batch(self.model, self.criterion, images, labels)

    def backward(self):
        """Gradients of the last forward batch, stored in the layers' grad_<parameter> arrays."""
        if self.criterion is None:
            self.model.gradient_computing()
        elif isinstance(self.model, Network):   # dE/dx of the images is never used
            self.model.backward(self.criterion.backward(), input_grad=False)
        else:
            self.model.backward(self.criterion.backward())

    # ------------------------------------------------------------ loops

    def train(self):
        """Train cfg['max_epoch'] epochs; returns (epoch_train_loss, epoch_train_acc) lists.

        With a regression criterion (metric 'mse') the second list is the training MSE instead.

        Stops early, keeping the history so far, on a non-finite loss. Ctrl-C in a notebook stops
        after the batch and returns (a second one stops at once); elsewhere (a script, pytest) the
        KeyboardInterrupt reaches the caller at the first press, the history kept on the solver.
        With cfg['patience'], stops after that many epochs without a better validation score.
        With cfg['keep_best'] or cfg['patience'], the model ends with the parameters and state (BN's
        running statistics) of its best validation epoch.
        """
        h, cfg = self.history, self.cfg
        with DeferInterrupt(defer=in_notebook()) as interrupt, mode(self.model, training=True):
            done = len(h['train_loss'])   # epochs of earlier train() calls
            self.display.start(done, cfg['max_epoch'], len(self.train_loader), len(self.train_loader.dataset))
            try:
                for epoch in range(done, done + cfg['max_epoch']):
                    if not self._train_epoch(epoch, interrupt):
                        break
                    val_loss, val_acc = self.validate()
                    if not self._end_epoch(epoch, val_loss, val_acc):
                        break
            except KeyboardInterrupt:
                self._stop('interrupted', f'interrupted (Ctrl-C) in epoch {len(h["train_loss"]) + 1}; '
                           'the history so far is kept on the solver.')
                raise
            finally:
                if self.best is not None:
                    self.best.restore()
        return h['train_loss'], h['train_' + self.metric]

    def _train_epoch(self, epoch, interrupt):
        """One pass over the training split; False when training must stop."""
        cfg, h = self.cfg, self.history
        start, total_loss, total_acc, seen = time.perf_counter(), 0.0, 0.0, 0
        rates = self.optimizer.learning_rate, self.optimizer.momentum   # used in this epoch
        for iteration, (images, labels) in enumerate(self.train_loader):
            loss, acc = self.forward(images, labels)
            if not math.isfinite(loss):
                return self._stop('diverged', f'loss became {loss} in epoch {epoch + 1}, batch {iteration + 1}: '
                                  f'training diverged; try a smaller learning rate '
                                  f'(now {self.optimizer.learning_rate:g}).')
            self.backward()
            self.optimizer.step()
            n = len(labels)
            total_loss, total_acc, seen = total_loss + loss * n, total_acc + acc * n, seen + n
            h['iteration_loss'].append(loss)
            self.display.batch(epoch, iteration, loss, acc, n)
            if iteration % cfg['display_freq'] == 0:
                if hasattr(self.model, 'gradient_norms'):
                    h['grad_norms'].append(self.model.gradient_norms())
            if interrupt.requested:
                return self._stop('interrupted', f'interrupted (Ctrl-C) in epoch {epoch + 1} after batch '
                                  f'{iteration + 1}; history kept.')
        h['epoch_time'].append(time.perf_counter() - start)
        h['learning_rate'].append(rates[0])
        h['momentum'].append(rates[1])
        h['train_loss'].append(total_loss / seen)
        h['train_' + self.metric].append(total_acc / seen)
        self.display.train_epoch(epoch, h['train_loss'][-1], h['train_' + self.metric][-1], h['epoch_time'][-1])
        return True

    def _end_epoch(self, epoch, val_loss, val_acc):
        """Records the validation, runs the schedules, keeps the best copy; False: stop early."""
        h, patience = self.history, self.cfg['patience']
        h['val_loss'].append(val_loss)
        h['val_' + self.metric].append(val_acc)
        self.display.val_epoch(epoch, val_loss, val_acc)
        metrics = {'train_loss': h['train_loss'][-1], 'val_loss': val_loss}
        for schedule in self.schedules:
            schedule.update(self.optimizer, epoch + 1, metrics)
        scores = -np.asarray(h['val_' + self.metric]) if self.metric == 'mse' else np.asarray(h['val_acc'])
        if self.cfg['keep_best'] or patience:
            if self.best is None:
                self.best = BestWeights(getattr(self.model, 'layerList', None) or self.optimizer.layers())
            self.best.offer(scores[-1])
        waited = len(scores) - 1 - int(np.argmax(scores))   # epochs since the first best one
        if patience and waited >= patience:
            return self._stop('early_stopping', f'no better validation {METRIC_NAMES[self.metric]} in '
                              f'{plural(waited, "epoch")}; the weights of epoch {len(scores) - waited} are restored.')
        return True

    def _stop(self, kind, reason):
        self.stopped, self.stop_reason = kind, reason
        self.display.stop(reason)
        return False

    def evaluate(self, loader):
        """(loss, acc) over a whole split: the sample-weighted mean over its batches."""
        return evaluate(self.model, self.criterion, loader)

    def validate(self):
        return self.evaluate(self.val_loader)

    def test(self):
        if self.test_loader is None:
            raise ValueError("this Solver has no test split: cfg['data'] holds only 'train' and 'val'")
        return self.evaluate(self.test_loader)


# ---------------------------------------------------------------- the course's case-2 functions

def train(model, criterion, optimizer, dataset, max_epoch, batch_size, disp_freq):
    """The course's case-2 `train`: the first 55,000 samples of `dataset` train `model` (in order,
    no shuffle, as the course's solver), the next 5,000 validate it after every epoch.

    dataset: the first of `dataloader.load_mnist()` (or an (X, T) pair); optimizer: e.g. the
    course's SGD(learning_rate, weight_decay). Prints the course's lines every `disp_freq` batches
    and per epoch; runs the Solver's one loop, so divergence and Ctrl-C stop it cleanly.
    Returns (model, val_loss, val_acc): the model and two lists of max_epoch floats.
    When the first epoch barely learned, one line says why it likely did (course_hint.py).
    """
    inputs, targets = _course_arrays(dataset)
    data = {'train': ArrayDataset(inputs[:NUM_TRAIN], targets[:NUM_TRAIN], mode='train'),
            'val': ArrayDataset(inputs[NUM_TRAIN:NUM_TRAIN + NUM_VAL], targets[NUM_TRAIN:NUM_TRAIN + NUM_VAL],
                                mode='val')}
    solver = Solver({'data': data, 'model': model, 'criterion': criterion, 'optimizer': optimizer,
                     'max_epoch': max_epoch, 'batch_size': batch_size, 'display_freq': disp_freq,
                     'shuffle': False, 'dtype': _dtype_of(inputs)})
    solver.display = FirstEpochHint(solver, batch_size)
    solver.train()
    return model, solver.history['val_loss'], solver.history['val_' + solver.metric]


def test(model, criterion, dataset, batch_size, disp_freq=None):
    """The course's case-2 `test`: every sample of `dataset` once; prints and returns the accuracy.

    disp_freq is accepted for the course's signature; testing prints one line.
    """
    dataset = as_dataset(dataset, 'test')
    print('Testing...')
    loader = Dataloader(dataset, batch_size, dtype=_dtype_of(getattr(dataset, 'inputs', None)))
    try:
        loss, acc = evaluate(model, criterion, loader)
    except KeyboardInterrupt:
        if not in_notebook():   # a script or pytest ends at the first Ctrl-C
            raise
        print('Testing interrupted (Ctrl-C): no accuracy.')
        return None
    if not math.isfinite(loss):
        print(f'The test loss is {loss}: the network outputs non-finite values (did training diverge?).')
    print(f'The test accuracy is {acc:.4f}.\n')
    return acc


def _course_arrays(dataset):
    """(inputs, targets) of the course's training data; clear error when it cannot hold 55,000 + val."""
    dataset = as_dataset(dataset, 'train')
    inputs, targets = getattr(dataset, 'inputs', None), getattr(dataset, 'targets', None)
    if inputs is None or len(inputs) <= NUM_TRAIN:
        size = len(dataset) if hasattr(dataset, '__len__') else '?'
        raise ValueError(f'train(): the dataset holds {size} samples; the course trains on the first '
                         f'{NUM_TRAIN:,} and validates on the next {NUM_VAL:,}, so it needs more than '
                         f'{NUM_TRAIN:,} (use data_train from dataloader.load_mnist())')
    return inputs, targets


def _dtype_of(inputs):
    """The computation's dtype for these inputs: float64 only when they are float64 (None: float32)."""
    return 'float64' if inputs is not None and np.asarray(inputs).dtype == np.float64 else 'float32'


if __name__ == '__main__':   # `python solver.py`: this file is the program `__main__`, which no module imports
    import cli                # the command line (it imports the module `solver`; nothing imports it back)
    cli.main()
