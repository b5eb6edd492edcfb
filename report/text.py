"""The report's words, written from the measured numbers: findings per experiment and the summary.

`analyse(results)` reduces the results of `report.experiments.run_experiments` to the facts the text quotes
(who won on validation and by how much against the seeds' spread, time per epoch, epochs and
seconds to the threshold, where training became unstable); they are saved in results.json under
'findings', so every number in the text can be checked against the file. The sentences are built
from those facts only, and each is worded so it stays true whatever the numbers are: a margin
within the spread is called a tie, a setting that never reached the threshold is named as such.
"""
import numpy as np

from formatting import duration, epochs as epochs_text, plural, pm, spread

DROP_TOLERANCE = 0.005   # a fall of the mean validation accuracy below its best epoch larger than this is instability
TIMING_TOLERANCE = 0.1   # epoch times closer than this fraction of the faster one are not told apart
MIN_TIMED_EPOCHS = 3   # fewer timed epochs per setting give no measure of the machine's noise


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
    """The setting's mean accuracies and their stds (None with one seed: no spread to report)."""
    s = config['summary']
    return {'label': config['label'], **{split: s[f'{split}_acc']['mean'] for split in ('train', 'val', 'test')},
            **{f'{split}_std': spread(s[f'{split}_acc']) for split in ('train', 'val', 'test')}}


def _ranking(ranked):
    """Winner and runner-up on mean validation accuracy; a tie when the difference is within the
    spread, the sum of their seeds' standard deviations (their ±1 std intervals overlap)."""
    first, second = _accuracy(ranked[0]), _accuracy(ranked[1])
    difference = first['val'] - second['val']
    spread = None if first['val_std'] is None else first['val_std'] + (second['val_std'] or 0.0)
    return {'winner': first, 'runner_up': second, 'difference': difference, 'spread': spread,
            'tie': spread is not None and difference <= spread,
            'worst': _accuracy(ranked[-1]) if len(ranked) > 2 else None}


def _speed(configs):
    """Fastest and slowest mean seconds per epoch, and whether they differ by more than timing noise:
    a tie unless each has MIN_TIMED_EPOCHS epochs or more (over its seeds), every epoch of the fastest
    setting was quicker than every epoch of the slowest (the epochs of one setting do the same work,
    so their range is the machine's noise) and the means differ by more than TIMING_TOLERANCE."""
    timed = [(c['summary']['epoch_time']['mean'], c['label'], [t for run in c['runs'] for t in run['epoch_time']])
             for c in configs if c['summary']['epoch_time']['mean'] is not None]
    if not timed:
        return None
    (fast, fast_label, fast_times), (slow, slow_label, slow_times) = min(timed), max(timed)
    timed_epochs = min(len(fast_times), len(slow_times))
    separate = max(fast_times) < min(slow_times) and slow - fast > TIMING_TOLERANCE * fast
    return {'fastest': fast_label, 'fastest_seconds': fast, 'slowest': slow_label, 'slowest_seconds': slow,
            'fastest_slowest_epoch': max(fast_times), 'slowest_fastest_epoch': min(slow_times),
            'timed_epochs': timed_epochs, 'tie': not separate or timed_epochs < MIN_TIMED_EPOCHS}


def _threshold(configs, threshold):
    """The settings that reached val ≥ threshold, fastest (in training seconds) first, and the rest."""
    reached, never = [], []
    for c in configs:
        s = c['summary']
        if s['epochs_to_threshold']['n']:
            reached.append({'label': c['label'], 'epochs': s['epochs_to_threshold']['mean'],
                            'seconds': s['seconds_to_threshold']['mean'], 'epoch_list': sorted(
                                first for first in (_first_epoch(run, threshold) for run in c['runs']) if first),
                            'runs': s['epochs_to_threshold']['n'], 'of': len(c['runs'])})
        else:
            never.append(c['label'])
    return {'value': threshold, 'reached': sorted(reached, key=lambda r: r['seconds']), 'never': never}


def _first_epoch(run, threshold):
    """The first epoch (from 1) whose validation accuracy reached threshold; None: never."""
    return next((epoch for epoch, acc in enumerate(run['val_acc'], 1) if acc >= threshold), None)


def mean_curve(runs, key='val_acc'):
    """(E,) mean over the runs of a per-epoch list, NaN-padded where a run stopped early; empty when
    no run finished an epoch."""
    length = max(len(run[key]) for run in runs)
    curves = np.array([run[key] + [np.nan] * (length - len(run[key])) for run in runs], dtype=float)
    return np.nanmean(curves, axis=0) if length and not np.isnan(curves).all() else np.array([])


def _instability(config):
    """None, or how the setting's training became unstable: runs that diverged, or a mean
    validation accuracy that fell more than DROP_TOLERANCE below its best epoch."""
    runs = config['runs']
    diverged = sum(1 for run in runs if (run['stop_reason'] or '').startswith('loss became'))
    mean = mean_curve(runs)
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
        over = ('mean ± sample standard deviation over ' + plural(facts['seeds'], 'seed')
                if facts['seeds'] > 1 else 'one seed')
        return (f"After {plural(facts['epochs'], 'epoch')} {_q(best['label'])} reached a training accuracy of "
                f"{pm(best['train'], best['train_std'])}, a validation accuracy of {pm(best['val'], best['val_std'])} "
                f"and a test accuracy of {pm(best['test'], best['test_std'])} ({over}).")
    first, second = ranking['winner'], ranking['runner_up']
    if ranking['tie']:
        text = (f"On validation accuracy {_q(first['label'])} ({pm(first['val'], first['val_std'])}) and "
                f"{_q(second['label'])} ({pm(second['val'], second['val_std'])}) tie: their difference, "
                f"{ranking['difference']:.4f}, is within the seeds' spread ({ranking['spread']:.4f}, the sum of "
                f"the two standard deviations).")
    elif ranking['spread'] is None:
        text = (f"On validation accuracy {_q(first['label'])} came first with {first['val']:.4f}, "
                f"{ranking['difference']:.4f} ahead of {_q(second['label'])}; with one seed there is no spread "
                f"to tell a win from chance.")
    else:
        text = (f"On validation accuracy {_q(first['label'])} won with {pm(first['val'], first['val_std'])}, "
                f"{ranking['difference']:.4f} ahead of {_q(second['label'])} ({pm(second['val'], second['val_std'])}): "
                f"more than the seeds' spread ({ranking['spread']:.4f}, the sum of the two standard deviations).")
    text += f" {_q(first['label'])} scored {pm(first['test'], first['test_std'])} on the test set."
    worst = ranking['worst']
    if worst:
        text += f" The lowest validation accuracy, {pm(worst['val'], worst['val_std'])}, was that of {_q(worst['label'])}."
    return text


def _speed_text(speed):
    if speed is None:
        return ''
    if speed['fastest'] == speed['slowest']:
        return f"One epoch took {duration(speed['fastest_seconds'])} on average."
    if speed['timed_epochs'] < MIN_TIMED_EPOCHS:
        return (f"One epoch took {duration(speed['fastest_seconds'])} to {duration(speed['slowest_seconds'])} on "
                f"average; with {plural(speed['timed_epochs'], 'epoch')} timed per setting, a difference cannot be "
                f"told from the machine's timing noise.")
    if speed['tie']:
        overlap = speed['fastest_slowest_epoch'] >= speed['slowest_fastest_epoch']
        why = (f"an epoch of the fastest setting took up to {duration(speed['fastest_slowest_epoch'])}, one of the "
               f"slowest as little as {duration(speed['slowest_fastest_epoch'])}" if overlap else
               f"less than {TIMING_TOLERANCE:.0%} apart")
        return (f"One epoch took about as long with every setting: the means range from "
                f"{duration(speed['fastest_seconds'])} to {duration(speed['slowest_seconds'])}, within timing noise "
                f"({why}).")
    return (f"One epoch took {duration(speed['fastest_seconds'])} with {_q(speed['fastest'])} (the fastest) and "
            f"{duration(speed['slowest_seconds'])} with {_q(speed['slowest'])} (the slowest; every one of its "
            f"epochs was slower than every epoch of the fastest).")


def _threshold_text(threshold, epochs, settings):
    value, reached = threshold['value'], threshold['reached']
    if not reached:
        return f'No setting reached a validation accuracy of {value:g} within {plural(epochs, "epoch")}.'
    first, last = reached[0], reached[-1]
    if len(reached) > 1 and {tuple(r['epoch_list']) for r in reached} == {tuple(first['epoch_list'])}:
        every = 'Both settings' if len(reached) == 2 else f'All {len(reached)} settings'
        text = (f"{every} that reached a validation accuracy of {value:g} did so in the same "
                f"{'epoch' if len(set(first['epoch_list'])) == 1 else 'epochs'} ({_runs_reached(first)}), after "
                + (f"{duration(first['seconds'])} of training each" if duration(first['seconds']) == duration(last['seconds'])
                   else f"{duration(first['seconds'])} to {duration(last['seconds'])} of training: a difference of "
                        f"speed per epoch, not of learning"))
    else:
        soonest = ' soonest,' if settings > 1 else ''
        text = (f"{_q(first['label'])} reached a validation accuracy of {value:g}{soonest} after "
                f"{epochs_text(first['epochs'])} and {duration(first['seconds'])} of training ({_runs_reached(first)})")
        if len(reached) > 1:
            text += (f"; the slowest of the {len(reached)} settings that reached it was {_q(last['label'])}, after "
                     f"{epochs_text(last['epochs'])} and {duration(last['seconds'])} ({_runs_reached(last)})")
    text += '.'
    if threshold['never'] and settings > 1:
        text += f" Never within {plural(epochs, 'epoch')}: {', '.join(map(_q, threshold['never']))}."
    return text


def _runs_reached(reached):
    """'2 of 2 runs reached it in epoch 1' / '... in epochs 1 and 2'."""
    epoch_list = sorted(set(reached['epoch_list']))
    which = (f"epoch {epoch_list[0]}" if len(epoch_list) == 1 else
             'epochs ' + ', '.join(map(str, epoch_list[:-1])) + f' and {epoch_list[-1]}')
    return f"{reached['runs']} of {plural(reached['of'], 'run')} reached it, in {which}"


def _stability_text(unstable):
    if not unstable:
        return (f'No run diverged, and no mean validation accuracy fell more than {DROP_TOLERANCE:g} '
                f'below its best epoch.')
    parts = []
    for u in unstable:
        if u['diverged']:
            parts.append(f"{_q(u['label'])} diverged (the loss became non-finite) in {u['diverged']} of "
                         f"{plural(u['runs'], 'run')}")
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
                         f"{pm(base['test'], base['test_std'])} after {plural(experiments['baseline']['epochs'], 'epoch')}.")
    ranking = experiments.get('momentum', {}).get('ranking')
    if ranking:
        first, second = ranking['winner'], ranking['runner_up']
        verdict = 'tied with' if ranking['tie'] else 'beat' if experiments['momentum']['seeds'] > 1 else 'came before'
        spread = '' if ranking['spread'] is None else f", spread {ranking['spread']:.4f}"
        sentences.append(f"Of the momentum settings, {_q(first['label'])} {verdict} {_q(second['label'])} on validation "
                         f"accuracy ({first['val']:.4f} against {second['val']:.4f}{spread}).")
    overall = findings_['overall']
    if overall:
        title = results['experiments'][overall['experiment']]['title']
        sentences.append(f"The highest validation accuracy of all settings, {pm(overall['val'], overall['val_std'])}, "
                         f"came from {_q(overall['label'])} (experiment {title.split('.')[0]}), with a test accuracy "
                         f"of {pm(overall['test'], overall['test_std'])}.")
    return ' '.join(sentences)


def overview(results, findings_):
    """The title page's paragraphs: what was run, on what data, how long it took, the main results."""
    s, experiments = results['settings'], results['experiments']
    specs = {tuple(sorted(map(str, c['spec'].items()))) for e in experiments.values() for c in e['configs']}
    titles = '; '.join(e['title'] for e in experiments.values())
    ran = (f"What was run: {plural(len(specs), 'setting')}, each trained with {plural(len(s['seeds']), 'seed')} "
           f"({', '.join(map(str, s['seeds']))}), in {plural(len(experiments), 'experiment')}: {titles}. A setting "
           f"that several experiments share was trained once. {_epochs_trained(s, experiments)}")
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


def _epochs_trained(settings, experiments):
    """'Softmax regression trained 2 epochs, the multi-layer perceptrons 1 epoch.': only the models run."""
    parts = []
    if set(experiments) - {'mlp'}:
        parts.append(f"softmax regression trained {plural(settings['epochs'], 'epoch')}")
    if 'mlp' in experiments:
        parts.append(f"the multi-layer perceptrons {'' if parts else 'trained '}{plural(settings['mlp_epochs'], 'epoch')}")
    text = ', '.join(parts)
    return text[0].upper() + text[1:] + '.'
