"""`python solver.py` (its `__main__` block calls main here): whatever could fail after training is checked
before it starts, and every message names the flag the user typed, not the cfg key behind it.

    FlagNames      spells settings in a config.SettingError's message: --epochs 2.5, not cfg['max_epoch']
    check_paths    --plot's folder and format, --save's folder and .npz name, --load's file
    prepare_data   the MNIST files: downloaded only into the default data/, elsewhere only with --download
    build_model    {'model', 'criterion'} of --hidden, --activation, --loss, --dropout, --batch-norm
    run            train, test, then the curves figure (--plot) and the weights (--save)
    main           the whole command: parse, check, build the Solver, run

Usage errors (a value no run could use) are ValueErrors; a missing file or folder is an OSError,
which main reports in one line with exit status 1 and no usage block.
"""
import os

import numpy as np

from config import CFG_KEYS, CfgNames, SettingError, check_cfg, parse_args
from criterion import METRIC_NAMES, EuclideanLossLayer, SoftmaxCrossEntropyLossLayer
from dataloader import DataFormatError, download, missing_files
from files import write_atomic
from formatting import plural
from idx import missing_message
from network import build_convnet, build_mlp
from solver import Solver

DEFAULT_ROOT = CFG_KEYS['data_root'][0]


class FlagNames(CfgNames):
    """Settings spelled as the command line's flags (--lr -1.0); keys without a flag as in code."""

    def __init__(self, parser):
        self.flags = {action.dest: action.option_strings[0] for action in parser._actions if action.option_strings}

    def key(self, key, *value):
        if key not in self.flags:
            return super().key(key, *value)
        if not value or isinstance(value[0], bool):
            return self.flags[key]
        return f'{self.flags[key]} ' + ('(not given)' if value[0] is None else str(value[0]))

    def keys(self, keys):
        return ', '.join(self.key(key) for key in keys)


def check_paths(args):
    """Raise before any training when an output could not be written or --load read.

    ValueError: --plot's extension is no figure format, --save's name does not end in .npz;
    OSError: a folder that does not exist or is not writable, a path that is a folder, no --load file.
    """
    from matplotlib.figure import Figure   # here: importing solver does not import matplotlib
    formats = Figure().canvas.get_supported_filetypes()
    kind = os.path.splitext(args.plot)[1][1:].lower()
    if kind and kind not in formats:
        raise ValueError(f'--plot {args.plot}: .{kind} is not a figure format; expected one of '
                         + ', '.join('.' + name for name in sorted(formats)))
    if args.save and not args.save.endswith('.npz'):
        raise ValueError(f'--save {args.save}: expected a file name ending in .npz (the weights are an .npz archive)')
    for flag, path in (('--plot', args.plot), ('--save', args.save)):
        if path:
            _check_writable(flag, path)
    if args.load and not os.path.isfile(args.load):
        raise FileNotFoundError(f'--load {args.load}: no such file')


def _check_writable(flag, path):
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f'{flag} {path}: is a folder; expected a file name')
    if not os.path.isdir(folder):
        raise FileNotFoundError(f'{flag} {path}: the folder {folder} does not exist; create it or choose another')
    if not os.access(folder, os.W_OK):
        raise PermissionError(f'{flag} {path}: the folder {folder} is not writable')


def prepare_data(data_root, download_asked):
    """Make sure the four MNIST files are in data_root (None: the default data/).

    Missing files are downloaded into the default folder, and into a folder the user named only
    with --download; otherwise a FileNotFoundError lists all that are missing (the folder is left
    as it is, not created).
    """
    root = DEFAULT_ROOT if data_root is None else data_root
    missing = missing_files(root)
    if not missing:
        return
    if os.path.abspath(root) != os.path.abspath(DEFAULT_ROOT) and not download_asked:
        raise FileNotFoundError(missing_message(root, missing, '--data-root') + ' Or add --download to fetch '
                                'them into it.')
    print(f'Downloading {plural(len(missing), "missing MNIST file")} into {os.path.abspath(root)} ...')
    download(root, missing)


def build_model(args, cfg):
    """{'model': Network, 'criterion': loss layer} of --hidden (an MLP) or --convnet; {} for case 1.

    The ConvNet trains with Adam (α = 0.001) unless --optimizer says otherwise."""
    if args.hidden and args.convnet:
        raise ValueError('--convnet and --hidden each choose the model: give one of them')
    mlp_only = [flag for flag, value in (('--dropout', args.dropout), ('--batch-norm', args.batch_norm),
                                         ('--activation', args.activation)) if value]
    if not args.hidden and (mlp_only or (args.loss and not args.convnet)):
        given = mlp_only + (['--loss'] if args.loss and not args.convnet else [])
        verb = 'acts' if len(given) == 1 else 'act'
        raise ValueError(f'{" and ".join(given)} {verb} on hidden layers: give them with --hidden')
    if not (args.hidden or args.convnet):
        return {}
    criterion = EuclideanLossLayer() if args.loss == 'euclidean' else SoftmaxCrossEntropyLossLayer()
    if args.convnet:
        return {'model': build_convnet(cfg.get('seed', 0), cfg.get('dtype', 'float32')), 'criterion': criterion,
                'optimizer': cfg.get('optimizer', 'adam')}
    model = build_mlp(args.hidden, args.activation or 'relu', cfg.get('seed', 0), cfg.get('dtype', 'float32'),
                      dropout=args.dropout, batch_norm=args.batch_norm)
    return {'model': model, 'criterion': criterion}


def load_weights(model, path):
    """The weights of --load into the model; a checkpoint that does not fit is a ValueError naming --load."""
    try:
        model.load(path)
    except ValueError as err:
        text = str(err)   # load's messages mostly begin with the path already
        raise ValueError(f'--load {text}' if text.startswith(str(path)) else f'--load {path}: {text}') from None


def run(parser, args, solver):
    """Train the checked Solver, test it, write the outputs; exit 1 on divergence, 130 on Ctrl-C.

    Numpy's overflow warnings are silenced while training: a diverging run says so once, in the
    Solver's stop message, and nothing after it is tested or written.
    """
    if solver.cfg['max_epoch'] == 0:
        print(f"0 epochs: nothing trained, testing the {'loaded' if args.load else 'initial'} model")
    with np.errstate(over='ignore', invalid='ignore', divide='ignore'):
        try:
            solver.train()
        except KeyboardInterrupt:
            parser.exit(130, f'{parser.prog}: interrupted (Ctrl-C); nothing tested or saved.\n')
    if solver.stopped == 'diverged':
        parser.exit(1, f'{parser.prog}: error: training diverged; nothing tested or saved.\n')
    test_loss, test_acc = solver.test()
    print(f'Test loss {test_loss:.4f}\t Test {METRIC_NAMES[solver.metric]} {test_acc:.4f}')
    _write_outputs(args, solver, test_acc)


def _write_outputs(args, solver, test_acc):
    """The curves figure (not after 0 epochs: it would be empty) and, with --save, the weights."""
    if solver.history['train_loss']:
        from visualize import plot_train_val
        title = f'test {METRIC_NAMES[solver.metric]} {test_acc:.4f}'
        figure = plot_train_val(solver.history, solver.metric, title)
        kind = os.path.splitext(args.plot)[1][1:].lower() or 'png'
        write_atomic(args.plot, lambda file: figure.savefig(file, dpi=100, format=kind))
        print(f'Curves (training and validation splits) saved to {args.plot}')
    if args.save:
        solver.model.save(args.save)
        print(f'Weights saved to {args.save}')


def main(argv=None):
    """`python solver.py [flags]`: train, test, write the curves (and weights); see --help.

    Everything that could fail is checked before training. Exit status 2: a flag's value (with the
    usage); 1: a missing or unreadable file or folder, or a diverged run; 130: Ctrl-C.
    """
    parser, args = parse_args(argv)
    try:
        check_paths(args)
        cfg = {key: value for key, value in vars(args).items() if key in CFG_KEYS}
        cfg.update(build_model(args, cfg))
        check_cfg(cfg)
        prepare_data(cfg.get('data_root'), args.download)
        solver = Solver(cfg)
        if args.load:
            load_weights(solver.model, args.load)
    except SettingError as err:
        parser.error(err.words(FlagNames(parser)))
    except (OSError, DataFormatError) as err:   # the files, not the flags: no usage block
        parser.exit(1, f'{parser.prog}: error: {err}\n')
    except ValueError as err:
        parser.error(str(err))
    run(parser, args, solver)

