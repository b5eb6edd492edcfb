"""The assignment's report in one command: `python report.py` writes report.pdf, results.json, results.md.

The experiments, each configuration trained with every seed (mean ± std over seeds):
  baseline       case 1 as the course runs it (α 0.01, batch 100, γ 0.9): curves, weights, errors
  momentum       γ 0, 0.5, 0.9 and the 0.5 → 0.9 ramp: seconds per epoch, epochs to a threshold
  learning_rate  α on a log grid
  batch_size     batch sizes, most of which do not divide the 55,000 training images
  mlp            case 2: ReLU / sigmoid / tanh, softmax cross-entropy / Euclidean loss, depth
Selection uses the validation split only; each run meets the test set once, after training. A
configuration that several experiments share (the baseline is γ 0.9 in momentum, α 0.01 in the
learning-rate sweep, ...) is trained once. `--quick` checks the whole pipeline in under a minute on
a subset of the data; its numbers are not the report's. Training is the Solver's: this module only
chooses settings, calls `Solver.train()` one epoch at a time (to show progress) and summarizes.
"""
import argparse
import os
import sys
import time

if __name__ == '__main__':
    # Run as a program: one BLAS thread unless the environment says otherwise, set before numpy
    # loads (importing this module leaves the process alone). The matrices here are small (batch
    # 100): on a busy 2-core machine two OpenBLAS threads made an MLP epoch 10x slower (17 s vs 1.5 s).
    os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import numpy as np  # noqa: E402 (after the thread setting)

from dataloader import NUM_TRAIN, Dataset  # noqa: E402
from progress import StatusLine, clock  # noqa: E402
from criterion import EuclideanLossLayer, SoftmaxCrossEntropyLossLayer  # noqa: E402
from solver import Solver, build_mlp  # noqa: E402

SOFTMAX_BASE = {'learning_rate': 0.01, 'batch_size': 100, 'momentum': 0.9, 'momentum_ramp_epochs': 0}
MLP_BASE = dict(SOFTMAX_BASE, learning_rate=0.1, hidden=(128,), activation='relu', loss='softmax')
MLP_VARIANTS = {'ReLU, softmax CE, 128': {},
                'sigmoid, softmax CE, 128': {'activation': 'sigmoid'},
                'tanh, softmax CE, 128': {'activation': 'tanh'},
                'ReLU, Euclidean, 128': {'loss': 'euclidean'},
                'ReLU, softmax CE, 128-128': {'hidden': (128, 128)}}
# the MLP figure's panels: which variants each comparison puts side by side
MLP_COMPARISONS = {'activation': list(MLP_VARIANTS)[:3],
                   'loss': [list(MLP_VARIANTS)[0], list(MLP_VARIANTS)[3]],
                   'depth': [list(MLP_VARIANTS)[0], list(MLP_VARIANTS)[4]]}
FULL = {'seeds': (0, 1, 2), 'epochs': 10, 'mlp_epochs': 5, 'train_size': NUM_TRAIN, 'threshold': 0.91,
        'learning_rates': (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
        'batch_sizes': (16, 64, 100, 256, 1024, 4096), 'data_root': 'data', 'quick': False}
QUICK = dict(FULL, seeds=(0, 1), epochs=2, mlp_epochs=2, train_size=10000, quick=True,
             learning_rates=(0.001, 0.01, 0.1, 1.0), batch_sizes=(32, 100, 1000))
EXPERIMENTS = ('baseline', 'momentum', 'learning_rate', 'batch_size', 'mlp')


def plan(settings):
    """{experiment: (title, {label: spec})} in report order.

    A spec is everything that defines a run but the seed: the Solver's learning_rate, batch_size,
    momentum, momentum_ramp_epochs, plus 'epochs' and, for case 2, 'hidden', 'activation', 'loss'.
    """
    base = dict(SOFTMAX_BASE, epochs=settings['epochs'])
    mlp = dict(MLP_BASE, epochs=settings['mlp_epochs'])
    ramp = max(1, settings['epochs'] // 5)
    momentum = {f'γ = {g:g}': dict(base, momentum=g) for g in (0.0, 0.5, 0.9)}
    momentum[f'γ 0.5 → 0.9 after {ramp} ep.'] = dict(base, momentum_ramp_epochs=ramp)
    return {
        'baseline': ('1. Baseline: softmax regression, α 0.01, batch 100, γ 0.9', {'baseline': base}),
        'momentum': ('2. Momentum (α 0.01, batch 100)', momentum),
        'learning_rate': ('3. Learning rate (batch 100, γ 0.9)',
                          {f'α = {a:g}': dict(base, learning_rate=a) for a in settings['learning_rates']}),
        'batch_size': ('4. Batch size (α 0.01, γ 0.9)',
                       {f'batch {b}': dict(base, batch_size=b) for b in settings['batch_sizes']}),
        'mlp': ('5. Multi-layer perceptrons (case 2; α 0.1, batch 100, γ 0.9)',
                {label: dict(mlp, **change) for label, change in MLP_VARIANTS.items()}),
    }


def spec_key(spec):
    return tuple(sorted(spec.items()))


def data_cfg(settings):
    """The cfg entries that give the Solver its data: the files, or the first train_size rows in memory."""
    root, size = settings['data_root'], settings['train_size']
    if size == NUM_TRAIN:
        return {'data_root': root}
    splits = {mode: Dataset(root, mode) for mode in ('train', 'val', 'test')}
    rows = {'train': np.arange(size), 'val': np.arange(len(splits['val'])), 'test': np.arange(len(splits['test']))}
    return {'data_root': root, 'data': {mode: ds.batch(rows[mode]) for mode, ds in splits.items()}}


def solver_cfg(spec, seed, data):
    """Solver cfg of one run; max_epoch 1 because the report calls train() once per epoch."""
    cfg = {key: spec[key] for key in SOFTMAX_BASE}
    cfg.update(data, max_epoch=1, seed=seed, verbose=False)
    if 'hidden' in spec:
        cfg['model'] = build_mlp(list(spec['hidden']), spec['activation'], seed)
        cfg['criterion'] = EuclideanLossLayer() if spec['loss'] == 'euclidean' else SoftmaxCrossEntropyLossLayer()
    return cfg


def epoch_cost(spec, train_size):
    """Rough cost of one epoch relative to the baseline's, for the time-left estimate only."""
    width = sum(spec.get('hidden', ()))
    return train_size / NUM_TRAIN * (1 + width / 64) * (0.7 + 30 / spec['batch_size'])


class Progress:
    """Experiment i/n, run j/m, each epoch's validation accuracy, elapsed time and time left, on a
    progress.StatusLine: one line per run rewritten in place in a terminal, one HTML bar in Jupyter,
    one plain line per epoch in a pipe.

    Time left = elapsed × remaining cost / done cost (see epoch_cost), so the estimate adapts to
    the machine's speed as runs complete.
    """

    def __init__(self, total_cost, total_runs, stream=None):
        self.total, self.done, self.runs, self.run = total_cost, 0.0, total_runs, 0
        self.line, self.start, self.header = StatusLine(stream), time.perf_counter(), ''

    def say(self, text):
        self.line.say(text)

    def start_run(self, header):
        self.run += 1
        self.header, self.run_start = f'run {self.run}/{self.runs} {header}', self.done

    def epoch(self, epoch, epochs, val_acc, cost):
        self.done += cost
        elapsed = time.perf_counter() - self.start
        left = elapsed * (self.total - self.done) / max(self.done, 1e-9)
        self.line.show(f'  {self.header} | epoch {epoch}/{epochs} val acc {val_acc:.4f} | '
                       f'{clock(elapsed)} elapsed, ~{clock(left)} left', self.done, self.total, force=True)

    def end_run(self, cost):
        self.done = self.run_start + cost   # counts the epochs a diverged run skipped
        self.line.end()


def train_run(spec, seed, data, progress, train_size):
    """Train spec with seed, one train() call per epoch, then test once; (record, model).

    record: the run's per-epoch lists (train_loss, train_acc, val_loss, val_acc, epoch_time,
    momentum) and test_loss, test_acc, stop_reason; a run stops early if its loss diverges.
    """
    solver, cost = Solver(solver_cfg(spec, seed, data)), epoch_cost(spec, train_size)
    for epoch in range(1, spec['epochs'] + 1):
        solver.train()
        if solver.stopped:
            if solver.stopped == 'interrupted':   # Ctrl-C: stop the whole report
                raise KeyboardInterrupt(solver.stop_reason)
            break
        progress.epoch(epoch, spec['epochs'], solver.history['val_acc'][-1], cost)
    progress.end_run(cost * spec['epochs'])
    test_loss, test_acc = solver.test()
    curves = ('train_loss', 'train_acc', 'val_loss', 'val_acc', 'epoch_time', 'momentum')
    record = {'seed': seed, **{key: list(solver.history[key]) for key in curves},
              'test_loss': test_loss, 'test_acc': test_acc, 'stop_reason': solver.stop_reason}
    return record, solver.model


def summarize(runs, threshold):
    """{metric: {'mean', 'std', 'n'}} over the seeds' runs; see run_metrics for the metrics."""
    per_run = [run_metrics(run, threshold) for run in runs]
    return {key: _stats([m[key] for m in per_run]) for key in per_run[0]}


def run_metrics(run, threshold):
    """Final train/val/test accuracy and training loss, mean seconds per epoch, and the first
    epoch (1-based) and cumulative training seconds at which val_acc ≥ threshold (None: never)."""
    reached = np.flatnonzero(np.asarray(run['val_acc']) >= threshold)
    first = int(reached[0]) if len(reached) else None
    final = {key: run[key][-1] if run[key] else None for key in ('train_acc', 'val_acc', 'train_loss')}
    return {**final, 'test_acc': run['test_acc'],   # a run that diverged in epoch 1 has no final values
            'epoch_time': float(np.mean(run['epoch_time'])) if run['epoch_time'] else None,
            'epochs_to_threshold': None if first is None else first + 1,
            'seconds_to_threshold': None if first is None else float(np.sum(run['epoch_time'][:first + 1]))}


def _stats(values):
    """Mean and sample std (ddof 1; 0 for a single value) of the values that are not None/NaN."""
    kept = np.array([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if not len(kept):
        return {'mean': None, 'std': None, 'n': 0}
    return {'mean': float(kept.mean()), 'std': float(kept.std(ddof=1)) if len(kept) > 1 else 0.0, 'n': len(kept)}


def run_experiments(settings, names=EXPERIMENTS, stream=None):
    """Train every configuration of the named experiments with every seed; the results dict.

    results = {'settings', 'wall_time' (s), 'experiments': {name: {'title', 'selected' (the label
    with the best mean validation accuracy), 'configs': [{'label', 'spec', 'runs', 'summary',
    '_model' (the first seed's trained model, not saved to JSON)}]}}}.
    """
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise ValueError(f'unknown experiment(s) {unknown}: expected some of {EXPERIMENTS}')
    planned = plan(settings)
    chosen = {name: planned[name] for name in names}
    unique = {spec_key(s): s for _, specs in chosen.values() for s in specs.values()}
    seeds, size = settings['seeds'], settings['train_size']
    progress = Progress(sum(epoch_cost(s, size) * s['epochs'] for s in unique.values()) * len(seeds),
                        len(unique) * len(seeds), stream)
    data, trained, experiments = data_cfg(settings), {}, {}
    for i, (name, (title, specs)) in enumerate(chosen.items(), 1):
        progress.say(f'experiment {i}/{len(chosen)}: {title}')
        configs = []
        for label, spec in specs.items():
            if spec_key(spec) not in trained:
                trained[spec_key(spec)] = train_config(label, spec, seeds, data, progress, size)
            runs, model = trained[spec_key(spec)]
            configs.append({'label': label, 'spec': spec, 'runs': runs,
                            'summary': summarize(runs, settings['threshold']), '_model': model})
        best = max(configs, key=lambda c: c['summary']['val_acc']['mean'] or -1.0)
        experiments[name] = {'title': title, 'configs': configs, 'selected': best['label']}
        if name == 'mlp':   # which variants the MLP figure's panels put side by side
            experiments[name]['comparisons'] = MLP_COMPARISONS
    return {'settings': dict(settings), 'wall_time': time.perf_counter() - progress.start,
            'experiments': experiments}


def train_config(label, spec, seeds, data, progress, train_size):
    """(runs, first seed's model) of one configuration, one run per seed."""
    runs, models = [], []
    for seed in seeds:
        progress.start_run(f'{label}, seed {seed}')
        record, model = train_run(spec, seed, data, progress, train_size)
        runs.append(record)
        models.append(model)
    return runs, models[0]


def _arg(kind, low, high=None, what=''):
    """argparse type: a number of `kind` in [low, high], with an error naming the value."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f'{text!r}: expected {what}')
        return value
    return parse


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Run the assignment\'s experiments on MNIST and write '
                                'report.pdf, results.json and results.md.')
    p.add_argument('--out', default='report_out', help='output folder (default: report_out)')
    p.add_argument('--quick', action='store_true', help='smoke test: 10,000 training images, 2 seeds, '
                   'fewer epochs and grid points (< 1 min); every page and JSON key is still produced')
    p.add_argument('--seeds', type=_arg(int, 0, what='an integer ≥ 0'), nargs='+',
                   help='seeds of every configuration (default: 0 1 2; quick: 0 1)')
    p.add_argument('--epochs', type=_arg(int, 1, what='an integer ≥ 1'), help='softmax epochs (default 10)')
    p.add_argument('--mlp-epochs', type=_arg(int, 1, what='an integer ≥ 1'), help='MLP epochs (default 5)')
    p.add_argument('--train-size', type=_arg(int, 1, NUM_TRAIN, f'an integer in [1, {NUM_TRAIN}]'),
                   help=f'training images used, the first N (default {NUM_TRAIN}; quick: 10000)')
    p.add_argument('--threshold', type=_arg(float, 0, 1, 'a number in [0, 1]'),
                   help='validation accuracy whose time-to-reach is measured (default 0.91)')
    p.add_argument('--data-root', help='folder with the MNIST files (default: data)')
    return p, p.parse_args(argv)


def main(argv=None):
    start = time.perf_counter()
    parser, args = parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    settings.update({k: v for k, v in vars(args).items() if v is not None and k not in ('out', 'quick')})
    settings['seeds'] = tuple(settings['seeds'])
    if len(set(settings['seeds'])) < len(settings['seeds']):
        parser.error(f"--seeds {' '.join(map(str, settings['seeds']))}: expected distinct seeds")
    if max(settings['batch_sizes']) > settings['train_size']:
        parser.error(f"--train-size {settings['train_size']}: expected at least "
                     f"{max(settings['batch_sizes'])}, the largest batch size of the sweep")
    import report_writer   # matplotlib loads only when a report is written
    try:
        results = run_experiments(settings)
    except KeyboardInterrupt:
        print('\nInterrupted: no report written.')
        return 130
    except NotImplementedError as err:   # a TODO of the student release, named by its raise
        print(f'\nreport.py: stopped: {err}. Do that TODO (README.md, step 2), check it with '
              '`python -m pytest`, then run the report again.', file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError) as err:   # missing or malformed data files: named by the loader
        parser.error(str(err))
    written = report_writer.write_report(results, args.out)
    print(f'Done in {clock(time.perf_counter() - start)}: wrote ' + ', '.join(written))
    return 0


if __name__ == '__main__':
    sys.exit(main())
