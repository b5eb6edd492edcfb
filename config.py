"""The Solver's settings: every cfg key, its default and what it allows, checked before any work.

`check_cfg(cfg)` returns cfg completed with the defaults, or raises a ValueError that names the key,
the value and what is allowed. A new setting is one line in CFG_KEYS.
"""
import numpy as np


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
        not isinstance(v, str) and callable(getattr(v, 'step', None)))


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
                                        "the settings below; None: 'sgd') or an optimizer object with step()")),
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
    'display': ('print', _choice('print', 'live', 'none')),
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
