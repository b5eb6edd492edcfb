"""The Solver's settings: every cfg key, its default and what it allows, checked before any work.

`check_cfg(cfg)` returns cfg completed with the defaults, or raises a ValueError that names the key,
the value and what is allowed (a `SettingError`, which the command line re-spells with its flags). A
new setting is one line in CFG_KEYS. `parse_args` spells the keys as `python solver.py` flags.
"""
import argparse
import difflib

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


class CfgNames:
    """How a message spells settings in code: cfg['max_epoch'] = 2.5 (cli.FlagNames: --epochs 2.5)."""

    def key(self, key, *value):
        return f'cfg[{key!r}]' + (f' = {value[0]!r}' if value else '')

    def keys(self, keys):
        return f'cfg {list(keys)}'


class SettingError(ValueError):
    """A bad setting. `words(names)` makes the message, spelling each setting with `names` (a
    CfgNames): the command line says what the user typed (--epochs), code what it wrote (cfg[...])."""

    def __init__(self, words):
        super().__init__(words(CfgNames()))
        self.words = words


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
            raise SettingError(lambda names, key=key: f'{names.key(key, full[key])}: expected {allowed}')
    if full['criterion'] is not None and full['model'] is None:
        raise ValueError("cfg['criterion'] is set but cfg['model'] is not: a loss layer needs a Network")
    optimizer = full['optimizer']
    if optimizer is None or isinstance(optimizer, str):
        rule = optimizer or 'sgd'
        unused = [key for key in OPTIMIZER_KEYS[2:] if key in cfg and key not in RULE_SETTINGS[rule]]
        if unused:
            used = ('learning_rate', 'weight_decay', *RULE_SETTINGS[rule])
            raise SettingError(lambda names: f"{names.keys(unused)}: not settings of "
                               f"{names.key('optimizer', optimizer)}, which uses {names.keys(used)}")
    else:
        clash = [key for key in OPTIMIZER_KEYS if key in cfg]
        if clash:
            raise ValueError(f'cfg {clash} and cfg[\'optimizer\'] are both set: with an optimizer object, '
                             f'set {clash} on the optimizer itself')
    return full


# the flags of cfg keys: flag: (cfg key, type, placeholder, help)
FLAGS = {'--data-root': ('data_root', str, 'PATH', 'folder with the MNIST IDX files (default: data, where missing '
                                                   'files are downloaded; another folder only with --download)'),
         '--epochs': ('max_epoch', int, 'N', 'number of epochs (default: 10; 0 tests the initial or loaded model)'),
         '--batch-size': ('batch_size', int, 'N', 'samples per SGD step (default: 100)'),
         '--lr': ('learning_rate', float, 'LR', 'learning rate α (default: 0.01 for sgd and adagrad, 0.001 for '
                                                'rmsprop and adam)'),
         '--momentum': ('momentum', float, 'GAMMA', 'sgd: momentum γ in [0, 1) (default: 0)'),
         '--weight-decay': ('weight_decay', float, 'LAMBDA', 'L2 weight decay λ of the weights (default: 0)'),
         '--decay-rate': ('decay_rate', float, 'RHO', 'rmsprop: ρ of the moving average (default: 0.99)'),
         '--beta1': ('beta1', float, 'BETA1', 'adam: β₁ (default: 0.9)'),
         '--beta2': ('beta2', float, 'BETA2', 'adam: β₂ (default: 0.999)'),
         '--eps': ('eps', float, 'EPS', 'adagrad, rmsprop, adam: ε (default: 1e-8)'),
         '--patience': ('patience', int, 'N', 'early stopping: stop after N epochs without a better validation '
                                              'accuracy, keeping the best weights (default: off)'),
         '--display-freq': ('display_freq', int, 'N', 'print every N batches (default: 50)'),
         '--seed': ('seed', int, 'N', 'seed of init and shuffling (default: 0)'),
         '--lr-decay-b': ('lr_decay_b', float, 'B', 'inverse_time: α_t = α·b / (b + t) after t epochs (default: 10)'),
         '--momentum-ramp-epochs': ('momentum_ramp_epochs', int, 'N', 'sgd: γ = 0.5 for N epochs, then --momentum')}


def parse_args(argv=None):
    """(parser, args) of `python solver.py`: each cfg key's flag, and the flags that build an MLP.

    Flags are matched whole (no prefixes: --epoch is not --epochs); an unknown flag is an error
    that suggests the closest one.
    """
    p = _Parser(prog='solver.py', allow_abbrev=False,
                description='Train softmax regression (case 1), with --hidden a multi-layer perceptron '
                '(case 2), or with --convnet a ConvNet (the CNN case) on MNIST; print the test accuracy.')
    for name, (dest, kind, metavar, text) in FLAGS.items():
        p.add_argument(name, dest=dest, type=kind, metavar=metavar, default=argparse.SUPPRESS, help=text)
    p.add_argument('--dtype', choices=('float32', 'float64'), default=argparse.SUPPRESS,
                   help='float32 (default, fast) or float64')
    p.add_argument('--lr-schedule', dest='lr_schedule', choices=('plateau', 'inverse_time'),
                   default=argparse.SUPPRESS, help='plateau or inverse_time (default: constant)')
    p.add_argument('--display', choices=DISPLAYS, default=argparse.SUPPRESS,
                   help="progress: the course's lines (print, default), a live line (live) or none")
    p.add_argument('--optimizer', choices=tuple(RULE_SETTINGS), default=argparse.SUPPRESS,
                   help='update rule (default: sgd)')
    p.add_argument('--nesterov', action='store_const', const=True, default=argparse.SUPPRESS,
                   help="sgd: Nesterov's momentum")
    p.add_argument('--keep-best', dest='keep_best', action='store_const', const=True, default=argparse.SUPPRESS,
                   help='end with the weights of the best validation epoch')
    p.add_argument('--hidden', type=_layer_size, nargs='+', default=[], metavar='N',
                   help='hidden layer sizes, e.g. 256 128 (default: none, softmax regression)')
    p.add_argument('--convnet', action='store_true', help="the CNN case's ConvNet (network.build_convnet: conv "
                   '5x5x32 -> pool -> conv 5x5x64 -> pool -> FC 10); --optimizer defaults to adam (α = 0.001)')
    p.add_argument('--dropout', type=_probability, default=0.0, metavar='P',
                   help='with --hidden: dropout p in [0, 1) after every hidden layer (default: 0)')
    p.add_argument('--batch-norm', action='store_true', help='with --hidden: batch normalization before every '
                   'hidden activation')
    p.add_argument('--activation', choices=('relu', 'sigmoid', 'tanh'),
                   help='with --hidden: the hidden layers\' activation (default: relu)')
    p.add_argument('--loss', choices=('softmax', 'euclidean'),
                   help='with --hidden: softmax cross-entropy (default) or the Euclidean loss of one-hot targets')
    p.add_argument('--load', metavar='CHECKPOINT', help='start from the weights of this .npz (saved by --save) '
                   'to test them (--epochs 0) or train on; the model flags must match it')
    p.add_argument('--download', action='store_true', help='download missing MNIST files into --data-root '
                   '(without it they are downloaded only into the default data/)')
    p.add_argument('--plot', default='curves.png', metavar='PATH',
                   help='where to save the curves; its extension is the format (default: curves.png)')
    p.add_argument('--save', metavar='PATH', help='save the trained weights to this .npz file')
    return p, p.parse_args(argv)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that suggests the closest flag for a mistyped one (--epoch: --epochs?)."""

    def error(self, message):
        words = message.split()
        if message.startswith('unrecognized arguments: '):
            flags = [option for action in self._actions for option in action.option_strings]
            close = difflib.get_close_matches(words[2].split('=')[0], flags, n=1)
            message = f'unrecognized argument {words[2]}' + (f'; did you mean {close[0]}?' if close else '')
        super().error(message)


def _layer_size(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'{text!r} is not a layer size: expected an integer >= 1')
    return int(text)


def _probability(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f'{text!r} is not a dropout probability: expected a number in [0, 1)')
    return value
