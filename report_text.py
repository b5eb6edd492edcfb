"""The report's words, written from the measured numbers: findings per experiment and the summary.

`analyse(results)` reduces the results of `report.run_experiments` to the facts the text quotes
(who won on validation and by how much against the seeds' spread, time per epoch, epochs and
seconds to the threshold, where training became unstable); they are saved in results.json under
'findings', so every number in the text can be checked against the file. The sentences are built
from those facts only, and each is worded so it stays true whatever the numbers are: a margin
within the spread is called a tie, a setting that never reached the threshold is named as such.
"""
import numpy as np

DROP_TOLERANCE = 0.005   # a fall of the mean validation accuracy below its best epoch larger than this is instability


def analyse(results):
    """{'experiments': {name: facts}, 'overall': the best setting on validation of all experiments}."""
    experiments = {name: _facts(experiment, results['settings'])
                   for name, experiment in results['experiments'].items()}
    candidates = [(facts['best'], name) for name, facts in experiments.items() if facts['best']['val'] is not None]
    overall = None
    if candidates:
        best, name = max(candidates, key=lambda pair: pair[0]['val'])
        overall = dict(best, experiment=name)
    return {'experiments': experiments, 'overall': overall, 'drop_tolerance': DROP_TOLERANCE}


def _facts(experiment, settings):
    configs = experiment['configs']
    epochs = max(c['spec']['epochs'] for c in configs)
    ranked = sorted((c for c in configs if c['summary']['val_acc']['mean'] is not None),
                    key=lambda c: c['summary']['val_acc']['mean'], reverse=True)
    return {'settings': len(configs), 'seeds': len(settings['seeds']), 'epochs': epochs,
            'best': _accuracy(ranked[0]) if ranked else {'label': None, 'val': None},
            'ranking': _ranking(ranked) if len(ranked) > 1 else None,
            'speed': _speed(configs),
            'threshold': _threshold(configs, settings['threshold']),
            'unstable': [u for u in (_instability(c) for c in configs) if u]}


def _accuracy(config):
    s = config['summary']
    return {'label': config['label'], **{split: s[f'{split}_acc']['mean'] for split in ('train', 'val', 'test')},
            **{f'{split}_std': s[f'{split}_acc']['std'] for split in ('train', 'val', 'test')}}


def _ranking(ranked):
    """Winner and runner-up on mean validation accuracy; a tie when the difference is within the
    spread, the sum of their seeds' standard deviations (their ±1 std intervals overlap)."""
    first, second = _accuracy(ranked[0]), _accuracy(ranked[1])
    difference, spread = first['val'] - second['val'], first['val_std'] + second['val_std']
    return {'winner': first, 'runner_up': second, 'difference': difference, 'spread': spread,
            'tie': difference <= spread, 'worst': _accuracy(ranked[-1]) if len(ranked) > 2 else None}


def _speed(configs):
    timed = [(c['summary']['epoch_time']['mean'], c['summary']['epoch_time']['std'], c['label']) for c in configs
             if c['summary']['epoch_time']['mean'] is not None]
    if not timed:
        return None
    (fast, fast_std, fast_label), (slow, slow_std, slow_label) = min(timed), max(timed)
    return {'fastest': fast_label, 'fastest_seconds': fast, 'slowest': slow_label, 'slowest_seconds': slow,
            'spread': fast_std + slow_std, 'tie': slow - fast <= fast_std + slow_std}


def _threshold(configs, threshold):
    """The settings that reached val ≥ threshold, fastest (in training seconds) first, and the rest."""
    reached, never = [], []
    for c in configs:
        s = c['summary']
        if s['epochs_to_threshold']['n']:
            reached.append({'label': c['label'], 'epochs': s['epochs_to_threshold']['mean'],
                            'seconds': s['seconds_to_threshold']['mean'],
                            'runs': s['epochs_to_threshold']['n'], 'of': len(c['runs'])})
        else:
            never.append(c['label'])
    return {'value': threshold, 'reached': sorted(reached, key=lambda r: r['seconds']), 'never': never}


def _instability(config):
    """None, or how the setting's training became unstable: runs that diverged, or a mean
    validation accuracy that fell more than DROP_TOLERANCE below its best epoch."""
    runs = config['runs']
    diverged = sum(1 for run in runs if (run['stop_reason'] or '').startswith('loss became'))
    length = max(len(run['val_acc']) for run in runs)
    curves = np.array([run['val_acc'] + [np.nan] * (length - len(run['val_acc'])) for run in runs], dtype=float)
    mean = np.nanmean(curves, axis=0) if length and not np.isnan(curves).all() else np.array([])
    peak_epoch = int(np.argmax(mean)) if len(mean) else 0
    drop = float(mean[peak_epoch] - mean[-1]) if len(mean) else 0.0
    if not diverged and drop <= DROP_TOLERANCE:
        return None
    fell = drop > DROP_TOLERANCE
    return {'label': config['label'], 'diverged': diverged, 'runs': len(runs),
            'peak': float(mean[peak_epoch]) if fell else None, 'peak_epoch': peak_epoch + 1 if fell else None,
            'final': float(mean[-1]) if fell else None, 'final_epoch': len(mean) if fell else None}


# ---------------------------------------------------------------- sentences

def _q(label):
    """A setting's label in quotes: labels hold commas and numbers of their own."""
    return f'“{label}”'


def _pm(mean, std):
    return '—' if mean is None else f'{mean:.4f} ± {std:.4f}'


def findings(facts):
    """The findings paragraph of one experiment, from its facts."""
    return ' '.join(filter(None, [_ranking_text(facts), _speed_text(facts['speed']),
                                  _threshold_text(facts['threshold'], facts['epochs'], facts['settings']),
                                  _stability_text(facts['unstable'])]))


def _ranking_text(facts):
    best, ranking = facts['best'], facts['ranking']
    if ranking is None:
        if best['val'] is None:
            return 'No run finished an epoch, so there is no accuracy to report.'
        return (f"After {facts['epochs']} epochs {_q(best['label'])} reached a training accuracy of "
                f"{_pm(best['train'], best['train_std'])}, a validation accuracy of {_pm(best['val'], best['val_std'])} "
                f"and a test accuracy of {_pm(best['test'], best['test_std'])} "
                f"(mean ± sample standard deviation over {facts['seeds']} seeds).")
    first, second = ranking['winner'], ranking['runner_up']
    pair = f"{_q(first['label'])} ({_pm(first['val'], first['val_std'])}) and {_q(second['label'])} " \
           f"({_pm(second['val'], second['val_std'])})"
    if ranking['tie']:
        text = (f"On validation accuracy {pair} tie: their difference, {ranking['difference']:.4f}, is within "
                f"the seeds' spread ({ranking['spread']:.4f}, the sum of the two standard deviations).")
    elif facts['seeds'] < 2:
        text = (f"On validation accuracy {_q(first['label'])} came first, {ranking['difference']:.4f} ahead of "
                f"{_q(second['label'])}; with one seed there is no spread to tell a win from chance.")
    else:
        text = (f"On validation accuracy {_q(first['label'])} won: {pair} differ by {ranking['difference']:.4f}, "
                f"more than the seeds' spread ({ranking['spread']:.4f}, the sum of the two standard deviations).")
    text += f" {_q(first['label'])} scored {_pm(first['test'], first['test_std'])} on the test set."
    worst = ranking['worst']
    if worst:
        text += f" The lowest validation accuracy, {_pm(worst['val'], worst['val_std'])}, was that of {_q(worst['label'])}."
    return text


def _speed_text(speed):
    if speed is None:
        return ''
    if speed['fastest'] == speed['slowest']:
        return f"One epoch took {speed['fastest_seconds']:.3f} s on average."
    times = (f"{speed['fastest_seconds']:.3f} s with {_q(speed['fastest'])} (the fastest) and "
             f"{speed['slowest_seconds']:.3f} s with {_q(speed['slowest'])} (the slowest)")
    if speed['tie']:
        return (f"One epoch took about as long with every setting: {times}, a difference within the "
                f"seeds' spread ({speed['spread']:.3f} s).")
    return f'One epoch took {times}.'



def _threshold_text(threshold, epochs, settings):
    value, reached = threshold['value'], threshold['reached']
    if not reached:
        return f'No setting reached a validation accuracy of {value:g} within {epochs} epochs.'
    first, last = reached[0], reached[-1]
    soonest = ' soonest,' if settings > 1 else ''
    text = (f"{_q(first['label'])} reached a validation accuracy of {value:g}{soonest} after {first['epochs']:.1f} "
            f"epochs and {first['seconds']:.1f} s of training ({first['runs']} of {first['of']} runs reached it)")
    if len(reached) > 1:
        text += (f"; the slowest of the {len(reached)} settings that reached it was {_q(last['label'])}, after "
                 f"{last['epochs']:.1f} epochs and {last['seconds']:.1f} s ({last['runs']} of {last['of']} runs)")
    text += '.'
    if threshold['never'] and settings > 1:
        text += f" Never within {epochs} epochs: {', '.join(map(_q, threshold['never']))}."
    return text


def _stability_text(unstable):
    if not unstable:
        return (f'No run diverged, and no mean validation accuracy fell more than {DROP_TOLERANCE:g} '
                f'below its best epoch.')
    parts = []
    for u in unstable:
        if u['diverged']:
            parts.append(f"{_q(u['label'])} diverged (the loss became non-finite) in {u['diverged']} of {u['runs']} runs")
        if u['peak'] is not None:
            parts.append(f"the mean validation accuracy of {_q(u['label'])} fell from {u['peak']:.4f} at epoch "
                         f"{u['peak_epoch']} to {u['final']:.4f} at epoch {u['final_epoch']}")
    return 'Training became unstable where ' + '; '.join(parts) + '.'


def summary(findings_, results):
    """The title page's main results: up to three sentences."""
    experiments = findings_['experiments']
    sentences = []
    base = experiments.get('baseline', {}).get('best')
    if base and base['val'] is not None:
        sentences.append(f"Softmax regression as the course trains it reached a test accuracy of "
                         f"{_pm(base['test'], base['test_std'])} after {experiments['baseline']['epochs']} epochs.")
    ranking = experiments.get('momentum', {}).get('ranking')
    if ranking:
        first, second = ranking['winner'], ranking['runner_up']
        verdict = 'tied with' if ranking['tie'] else 'beat' if experiments['momentum']['seeds'] > 1 else 'came before'
        sentences.append(f"Of the momentum settings, {_q(first['label'])} {verdict} {_q(second['label'])} on validation "
                         f"accuracy ({first['val']:.4f} against {second['val']:.4f}, spread {ranking['spread']:.4f}).")
    overall = findings_['overall']
    if overall:
        title = results['experiments'][overall['experiment']]['title']
        sentences.append(f"The highest validation accuracy of all settings, {_pm(overall['val'], overall['val_std'])}, "
                         f"came from {_q(overall['label'])} (experiment {title.split('.')[0]}), with a test accuracy "
                         f"of {_pm(overall['test'], overall['test_std'])}.")
    return ' '.join(sentences)


def overview(results, findings_):
    """The title page's paragraphs: what was run, on what data, how long it took, the main results."""
    s, experiments = results['settings'], results['experiments']
    specs = {tuple(sorted(map(str, c['spec'].items()))) for e in experiments.values() for c in e['configs']}
    titles = '; '.join(e['title'] for e in experiments.values())
    ran = (f"What was run: {len(specs)} settings, each trained with {len(s['seeds'])} seeds "
           f"({', '.join(map(str, s['seeds']))}), in {len(experiments)} experiments: {titles}. A setting that "
           f"several experiments share was trained once. Softmax regression trained {s['epochs']} epochs, "
           f"the multi-layer perceptrons {s['mlp_epochs']}.")
    used = 'all 55,000' if s['train_size'] == 55000 else f"the first {s['train_size']:,} of the 55,000"
    data = (f"On what data: MNIST from '{s['data_root']}', {used} "
            f"training images; the 5,000 validation images after them chose every setting; each trained model "
            f"met the 10,000 test images once, after training.")
    wall = results['wall_time']
    took = (f"How long it took: {wall / 60:.1f} minutes" if wall >= 120 else f"How long it took: {wall:.0f} s") + \
        ' of training and evaluation on this machine.'

    quick = (' This is a --quick smoke test (fewer images, epochs and seeds): its numbers are not the '
             "report's.") if s['quick'] else ''
    return [ran, data, took + quick, 'Main results: ' + summary(findings_, results)]


def captions(results, name):
    """The captions of an experiment's figures, in the order report_writer draws them."""
    seeds, threshold = len(results['settings']['seeds']), results['settings']['threshold']
    band = f'line: mean over the {seeds} seeds, band: ± one standard deviation'
    bars = f'error bars: ± one standard deviation over the {seeds} seeds; dashed line: the setting chosen on validation'
    swept = {'learning_rate': ('the learning rate α', 'the final training loss'),
             'batch_size': ('the batch size', 'the mean seconds per epoch')}
    if name in swept:
        what, right = swept[name]
        return [f'Final training and validation accuracy (left) and {right} (right) against {what} '
                f'(log scale); {bars}.']
    return {'baseline': [f'Training and validation loss (left) and accuracy (right) of the baseline per epoch; {band}.',
                         "Each class's weight vector (a column of W, 784 values) as a 28×28 image, first seed's "
                         'model: red positive, blue negative; each looks like a template of its digit.',
                         "Confusion matrix of the first seed's model on the test images (rows: true digit); "
                         'colour marks only the errors.',
                         "The first misclassified test images of the first seed's model, titled true → predicted."],
            'momentum': [f'Validation accuracy (left) and training loss (right) per epoch for each momentum setting; '
                         f'{band}.',
                         f'Mean validation accuracy against cumulative training time (validation excluded); a star '
                         f'marks where a setting first reaches {threshold:g}.'],
            'mlp': [f'Validation accuracy per epoch of the multi-layer perceptrons, compared by activation, loss and '
                    f'depth; {band}.']}[name]
