"""The Solver's settings: every cfg key, its default and what it allows, checked before any work.

`check_cfg(cfg)` returns cfg completed with the defaults, or raises a ValueError that names the key,
the value and what is allowed. A new setting is one line in CFG_KEYS. `parse_args` spells the keys as
`python solver.py` flags.
"""
import argparse

import numpy as np

from progress import DISPLAYS


def _number(low, high=None, integer=False, low_open=False, high_open=True):
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)

    def check(v):
        if isinstance(v, bool) or not isinstance(v, kinds):
            return False
        return (v > low if low_open else v >= low) and (high is None or (v < high if high_open else v <= high))
    left, right = '(' if low_open else '[', ')' if high_open or high is None else ']'
    return check, f"{'an integer' if integer else 'a number'} in {left}{low}, {'∞' if high is None else high}{right}"


def _choice(*options):
    return (lambda v: any(v is o or (type(v) is type(o) and v == o) for o in options)), f'one of {options}'


def _optional(check_and_text, meaning):
    check, text = check_and_text
    return (lambda v: v is None or check(v)), f'{text}, or None ({meaning})'


def _is_optimizer(v):
    return v is None or (isinstance(v, str) and v in RULE_SETTINGS) or (
        not isinstance(v, str) and all(callable(getattr(v, m, None)) for m in ('step', 'bind', 'layers')))


def _is_data(v):
    return v is None or (isinstance(v, dict) and {'train', 'val'} <= set(v) <= {'train', 'val', 'test'})


# key: (default, (check, what is allowed))
CFG_KEYS = {
    'data_root': ('data', ((lambda v: isinstance(v, str) and v != ''), 'a folder path (str)')),
    'data': (None, (_is_data, "None (read data_root) or {'train': (X, y), 'val': (X, y), 'test': (X, y)} "
                              "(test optional)")),
    'max_epoch': (10, _number(0, integer=True)),   # 0: train nothing (a course notebook's way to skip training)
    'batch_size': (100, _number(1, integer=True)),
    'shuffle': (True, _choice(True, False)),
    'optimizer': (None, (_is_optimizer, "None or 'sgd', 'adagrad', 'rmsprop', 'adam' (the rule, built from "
                                        "the settings below; None: 'sgd') or an optimizer object "
                                        "(an optimizer.Optimizer: step(), bind(model), layers())")),
    'learning_rate': (None, _optional(_number(0, low_open=True), "the rule's default: 0.01 for SGD and AdaGrad, "
                                                                 '0.001 for RMSProp and Adam')),
    'weight_decay': (0.0, _number(0)),
    'momentum': (0.0, _number(0, 1)),
    'nesterov': (False, _choice(False, True)),
    'decay_rate': (0.99, _number(0, 1)),
    'beta1': (0.9, _number(0, 1)),
    'beta2': (0.999, _number(0, 1)),
    'eps': (1e-8, _number(0, low_open=True)),
    'patience': (None, _optional(_number(1, integer=True), 'no early stopping')),
    'display_freq': (50, _number(1, integer=True)),
    'seed': (0, _number(0, integer=True)),
    'dtype': ('float32', _choice('float32', 'float64')),
    'num_classes': (10, _number(2, integer=True)),
    'model': (None, ((lambda v: v is None or hasattr(v, 'trainable_layers')), 'None or a Network')),
    'criterion': (None, ((lambda v: v is None or hasattr(v, 'backward')), 'None or a loss layer')),
    'lr_schedule': (None, _choice(None, 'plateau', 'inverse_time')),
    'lr_factor': (0.5, _number(0, 1, low_open=True)),
    'lr_threshold': (1e-3, _number(0)),
    'lr_monitor': ('val_loss', _choice('val_loss', 'train_loss')),
    'lr_decay_b': (10.0, _number(0, low_open=True)),
    'momentum_ramp_epochs': (0, _number(0, integer=True)),
    'keep_best': (False, _choice(False, True)),
    'verbose': (True, _choice(False, True)),
    'display': ('print', _choice(*DISPLAYS)),
}
# the settings each rule by name uses, besides learning_rate and weight_decay
RULE_SETTINGS = {'sgd': ('momentum', 'nesterov', 'momentum_ramp_epochs'), 'adagrad': ('eps',),
                 'rmsprop': ('decay_rate', 'eps'), 'adam': ('beta1', 'beta2', 'eps')}
# settings that belong to the optimizer: given an optimizer object, set them on it instead
OPTIMIZER_KEYS = ('learning_rate', 'weight_decay', *dict.fromkeys(sum(RULE_SETTINGS.values(), ())))


def check_cfg(cfg):
    """cfg completed with defaults; ValueError naming the key, value and what is allowed."""
    if not isinstance(cfg, dict):
        raise ValueError(f'cfg must be a dict, got {type(cfg).__name__}')
    unknown = sorted(set(cfg) - set(CFG_KEYS))
    if unknown:
        general = sorted(set(CFG_KEYS) - set(OPTIMIZER_KEYS) - {'optimizer'})
        raise ValueError(f'unknown cfg key(s) {unknown}; valid keys: {general}; the optimizer and its settings: '
                         f"{['optimizer', *OPTIMIZER_KEYS]}")
    full = {key: cfg.get(key, default) for key, (default, _) in CFG_KEYS.items()}
    for key, (_, (check, allowed)) in CFG_KEYS.items():
        if not check(full[key]):
            raise ValueError(f'cfg[{key!r}] = {full[key]!r}: expected {allowed}')
    if full['criterion'] is not None and full['model'] is None:
        raise ValueError("cfg['criterion'] is set but cfg['model'] is not: a loss layer needs a Network")
    optimizer = full['optimizer']
    if optimizer is None or isinstance(optimizer, str):
        rule = optimizer or 'sgd'
        unused = [key for key in OPTIMIZER_KEYS[2:] if key in cfg and key not in RULE_SETTINGS[rule]]
        if unused:
            raise ValueError(f"cfg {unused}: not settings of cfg['optimizer'] = {optimizer!r}, which uses "
                             f"learning_rate, weight_decay and {list(RULE_SETTINGS[rule])}")
    else:
        clash = [key for key in OPTIMIZER_KEYS if key in cfg]
        if clash:
            raise ValueError(f'cfg {clash} and cfg[\'optimizer\'] are both set: with an optimizer object, '
                             f'set {clash} on the optimizer itself')
    return full


def parse_args(argv=None):
    """(parser, args) of `python solver.py`: each cfg key's flag, and the flags that build an MLP."""
    p = argparse.ArgumentParser(description='Train softmax regression (case 1) or, with --hidden, '
                                'a multi-layer perceptron (case 2) on MNIST; print the test accuracy.')
    flag = {'--data-root': ('data_root', str, 'folder with the MNIST IDX files (default: data)'),
            '--epochs': ('max_epoch', int, 'number of epochs (default: 10)'),
            '--batch-size': ('batch_size', int, 'samples per SGD step (default: 100)'),
            '--lr': ('learning_rate', float, 'learning rate α (default: 0.01 for sgd and adagrad, 0.001 for '
                                             'rmsprop and adam)'),
            '--momentum': ('momentum', float, 'sgd: momentum γ in [0, 1) (default: 0)'),
            '--weight-decay': ('weight_decay', float, 'L2 weight decay λ of the weights (default: 0)'),
            '--decay-rate': ('decay_rate', float, 'rmsprop: ρ of the moving average (default: 0.99)'),
            '--beta1': ('beta1', float, 'adam: β₁ (default: 0.9)'),
            '--beta2': ('beta2', float, 'adam: β₂ (default: 0.999)'),
            '--eps': ('eps', float, 'adagrad, rmsprop, adam: ε (default: 1e-8)'),
            '--patience': ('patience', int, 'early stopping: stop after N epochs without a better validation '
                                            'accuracy, keeping the best weights (default: off)'),
            '--display-freq': ('display_freq', int, 'print every N iterations (default: 50)'),
            '--seed': ('seed', int, 'seed of init and shuffling (default: 0)'),
            '--dtype': ('dtype', str, 'float32 (default, fast) or float64'),
            '--lr-schedule': ('lr_schedule', str, 'plateau or inverse_time (default: constant)'),
            '--lr-decay-b': ('lr_decay_b', float, 'inverse_time: α_t = α·b / (b + t) after t epochs (default: 10)'),
            '--momentum-ramp-epochs': ('momentum_ramp_epochs', int, 'γ = 0.5 for N epochs, then --momentum')}
    for name, (dest, kind, text) in flag.items():
        p.add_argument(name, dest=dest, type=kind, default=argparse.SUPPRESS, help=text)
    p.add_argument('--display', choices=DISPLAYS, default=argparse.SUPPRESS,
                   help="progress: the course's lines (print, default), a live line (live) or none")
    p.add_argument('--optimizer', choices=tuple(RULE_SETTINGS), default=argparse.SUPPRESS,
                   help='update rule (default: sgd)')
    p.add_argument('--nesterov', action='store_const', const=True, default=argparse.SUPPRESS,
                   help="sgd: Nesterov's momentum")
    p.add_argument('--keep-best', dest='keep_best', action='store_const', const=True, default=argparse.SUPPRESS,
                   help='end with the weights of the best validation epoch')
    p.add_argument('--hidden', type=int, nargs='+', default=[], help='hidden layer sizes, e.g. 256 128')
    p.add_argument('--convnet', action='store_true', help="the CNN case's ConvNet (network.build_convnet: conv 5x5x32 "
                   '-> pool -> conv 5x5x64 -> pool -> FC 10); --optimizer defaults to adam (α = 0.001) with it')
    p.add_argument('--dropout', type=float, default=0.0, help='with --hidden: dropout p after every hidden layer')
    p.add_argument('--batch-norm', action='store_true', help='with --hidden: batch normalization before every '
                   'hidden activation')
    p.add_argument('--activation', choices=('relu', 'sigmoid', 'tanh'), default='relu')
    p.add_argument('--loss', choices=('softmax', 'euclidean'), default='softmax')
    p.add_argument('--plot', default='curves.png', help='where to save the curves (default: curves.png)')
    p.add_argument('--save', help='save the trained weights to this .npz file')
    return p, p.parse_args(argv)
