"""report.py: `--quick` end to end (PDF pages, every experiment's numbers in the JSON), flags, summaries."""
import io
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

import report
import report_text

ROOT = os.path.join(os.path.dirname(__file__), '..')
NUMBER = re.compile(r'(?<![\w.])\d[\d,]*(?:\.\d+)?')


def test_quick_writes_a_pdf_with_every_page(quick):
    stdout, _, out = quick
    pdf = (out / 'report.pdf').read_bytes()
    pages = len(re.findall(rb'/Type\s*/Page\b(?!s)', pdf))
    assert pdf.startswith(b'%PDF') and pages >= 1 + len(report.EXPERIMENTS) and f'({pages} pages)' in stdout
    assert not [name for name in os.listdir(out) if name.endswith('.part')]   # temporary files renamed away


def test_quick_shows_progress_per_experiment_and_epoch_with_time_left(quick):
    stdout = quick[0]
    assert [f'experiment {i}/5' in stdout for i in range(1, 6)] == [True] * 5
    assert re.search(r'run \d+/\d+ .* \| epoch 2/2 val acc 0\.\d{4} \| \d+:\d\d elapsed, ~\d+:\d\d left', stdout)


def test_quick_json_holds_plausible_numbers_for_every_experiment(quick):
    _, results, _ = quick
    settings = results['settings']
    assert settings['quick'] and set(results['experiments']) == set(report.EXPERIMENTS) and results['wall_time'] > 0
    for name, experiment in results['experiments'].items():
        labels = [c['label'] for c in experiment['configs']]
        assert experiment['selected'] in labels, name
        for config in experiment['configs']:
            epochs = config['spec']['epochs']
            assert len(config['runs']) == len(settings['seeds'])
            for run in config['runs']:
                assert len(run['val_acc']) == len(run['epoch_time']) == epochs and run['stop_reason'] is None
                assert 0.5 < run['test_acc'] <= 1
            s = config['summary']
            for key in ('train_acc', 'val_acc', 'test_acc'):
                assert 0.5 < s[key]['mean'] <= 1 and 0 <= s[key]['std'] < 0.2, (name, config['label'], key)
            assert s['epoch_time']['mean'] > 0 and s['epoch_time']['std'] >= 0
            reached = s['epochs_to_threshold']
            assert reached['n'] == 0 or 1 <= reached['mean'] <= epochs


def test_quick_sweeps_cover_the_grids_and_shared_configurations_train_once(quick):
    _, results, out = quick
    exps, settings = results['experiments'], results['settings']
    assert [c['spec']['learning_rate'] for c in exps['learning_rate']['configs']] == settings['learning_rates']
    sizes = [c['spec']['batch_size'] for c in exps['batch_size']['configs']]
    assert sizes == settings['batch_sizes'] and any(settings['train_size'] % b for b in sizes)
    assert {c['label'] for c in exps['momentum']['configs']} >= {'γ = 0', 'γ = 0.5', 'γ = 0.9'}
    assert {c['spec'].get('activation') for c in exps['mlp']['configs']} == {'relu', 'sigmoid', 'tanh'}
    baseline = exps['baseline']['configs'][0]['runs']
    assert next(c['runs'] for c in exps['momentum']['configs'] if c['label'] == 'γ = 0.9') == baseline
    markdown = (out / 'results.md').read_text()
    assert all(e['title'] in markdown for e in exps.values())


def test_same_seeds_same_numbers():
    settings = dict(report.QUICK, seeds=(3,), epochs=1, train_size=2000)
    first, second = (report.run_experiments(settings, ['baseline'], io.StringIO()) for _ in range(2))
    runs = [r['experiments']['baseline']['configs'][0]['runs'][0] for r in (first, second)]
    assert runs[0]['val_acc'] == runs[1]['val_acc'] and runs[0]['test_acc'] == runs[1]['test_acc']


@pytest.mark.parametrize('argv, words', [
    (['--epochs', '0'], "argument --epochs: '0': expected an integer ≥ 1"),
    (['--seeds', 'x'], "argument --seeds: 'x': expected an integer ≥ 0"),
    (['--threshold', '1.5'], "argument --threshold: '1.5': expected a number in [0, 1]"),
    (['--train-size', '60000'], "argument --train-size: '60000': expected an integer in [1, 55000]"),
    (['--quick', '--train-size', '500'], '--train-size 500: expected at least 1000, the largest batch size'),
    (['--seeds', '1', '1'], '--seeds 1 1: expected distinct seeds'),
])
def test_bad_flags_are_usage_errors_naming_the_value(argv, words, capsys):
    with pytest.raises(SystemExit) as stop:
        report.main(argv)
    assert stop.value.code == 2 and words in capsys.readouterr().err


def test_unknown_experiment_is_named():
    with pytest.raises(ValueError, match=r"unknown experiment\(s\) \['speed'\]"):
        report.run_experiments(report.QUICK, ['speed'])


def test_summary_statistics_over_seeds():
    runs = [{'train_acc': [0.8, 0.9], 'val_acc': [0.85, 0.92], 'train_loss': [0.5, 0.3], 'test_acc': 0.91,
             'epoch_time': [1.0, 3.0]},
            {'train_acc': [0.8, 0.95], 'val_acc': [0.80, 0.88], 'train_loss': [0.5, 0.2], 'test_acc': 0.93,
             'epoch_time': [2.0, 2.0]}]
    s = report.summarize(runs, threshold=0.9)
    assert s['test_acc'] == pytest.approx({'mean': 0.92, 'std': 0.01414214, 'n': 2})   # sample std, ddof 1
    assert s['epoch_time']['mean'] == 2.0 and s['epochs_to_threshold'] == {'mean': 2.0, 'std': 0.0, 'n': 1}
    assert s['seconds_to_threshold']['mean'] == 4.0
    assert report.summarize(runs[:1], 0.99)['epochs_to_threshold'] == {'mean': None, 'std': None, 'n': 0}


@pytest.mark.filterwarnings('ignore::RuntimeWarning')   # the overflow that makes the run diverge
def test_a_diverging_run_is_recorded_not_fatal():
    import report_writer
    settings = dict(report.QUICK, seeds=(0,), epochs=2, train_size=2000, learning_rates=(1e38,))
    results = report.run_experiments(settings, ['learning_rate'], io.StringIO())
    config = results['experiments']['learning_rate']['configs'][0]
    assert config['runs'][0]['stop_reason'].startswith('loss became') and config['summary']['val_acc']['n'] == 0
    assert json.loads(report_writer.to_json(results))['experiments']['learning_rate']['configs'][0]['runs']
    assert '| α = 1e+38 | — | — |' in report_writer.markdown(results)
    assert len(report_writer.sweep_figure(results, 'learning_rate').axes) == 2


def test_importing_report_leaves_the_environment_alone():
    code = 'import os; before = dict(os.environ); import report; print(dict(os.environ) == before)'
    env = {key: value for key, value in os.environ.items() if not key.endswith('_NUM_THREADS')}
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.strip() == 'True', done.stderr


def _numbers(value):
    """Every number in a JSON value, as the texts may print it (4, 3, 2, 1, 0 decimals, %g, thousands)."""
    if isinstance(value, dict):
        return set().union(*map(_numbers, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(_numbers, value)) if value else set()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return set(NUMBER.findall(value)) if isinstance(value, str) else set()
    ms = value * 1000   # formatting.duration prints short times in ms
    return {f'{value:.{d}f}' for d in range(5)} | {f'{value:g}', f'{value:,}', str(value)} | \
        {f'{ms:.0f}', f'{ms:.1f}'}


def _pdf_text(out):
    done = subprocess.run(['pdftotext', str(out / 'report.pdf'), '-'], capture_output=True, text=True, check=True)
    return ' '.join(done.stdout.split())


def test_every_number_in_the_findings_is_the_one_in_results_json(quick):
    _, results, out = quick
    facts, markdown = results['findings'], (out / 'results.md').read_text()
    titles = [e['title'] for e in results['experiments'].values()]
    allowed = _numbers(facts) | _numbers(results['settings']) | _numbers(titles)
    texts = [report_text.findings(facts['experiments'][name]) for name in results['experiments']]
    texts.append(report_text.summary(facts, results))
    pdf = _pdf_text(out) if shutil.which('pdftotext') else None
    for text in texts:
        assert text in markdown and (pdf is None or ' '.join(text.split()) in pdf)
        quoted = NUMBER.findall(re.sub(r'“[^”]*”', '', text))   # labels in quotes keep their own numbers
        assert quoted and not [n for n in quoted if n not in allowed], text
    for name, experiment in results['experiments'].items():   # and the facts are results.json's summaries
        summary = {c['label']: c['summary'] for c in experiment['configs']}
        f = facts['experiments'][name]
        assert f['best']['label'] == experiment['selected']
        for who in [f['best']] + ([f['ranking']['winner'], f['ranking']['runner_up']] if f['ranking'] else []):
            assert all(who[split] == summary[who['label']][f'{split}_acc']['mean'] for split in ('train', 'val', 'test'))
        for reached in f['threshold']['reached']:
            assert reached['seconds'] == summary[reached['label']]['seconds_to_threshold']['mean']


def _results(val_by_label, threshold=0.9):
    """Results of one experiment whose settings reached these per-seed final validation accuracies."""
    configs = []
    for label, finals in val_by_label.items():
        runs = [{'train_acc': [a], 'val_acc': [a], 'train_loss': [0.3], 'test_acc': a, 'epoch_time': [1.0],
                 'stop_reason': None} for a in finals]
        configs.append({'label': label, 'spec': {'epochs': 1}, 'runs': runs, 'summary': report.summarize(runs, threshold)})
    return {'settings': {'seeds': (0, 1), 'threshold': threshold},
            'experiments': {'sweep': {'title': '1. sweep', 'configs': configs, 'selected': None}}}


def test_a_difference_within_the_seeds_spread_is_called_a_tie():
    tie = report_text.analyse(_results({'a': [0.91, 0.93], 'b': [0.915, 0.92]}))['experiments']['sweep']
    assert tie['ranking']['tie'] and ' tie: their difference, 0.0025, ' in report_text.findings(tie)
    win = report_text.analyse(_results({'a': [0.95, 0.951], 'b': [0.90, 0.901]}))['experiments']['sweep']
    text = report_text.findings(win)
    assert not win['ranking']['tie'] and '“a” won with 0.9505 ± 0.0007, 0.0500 ahead of “b” (0.9005 ± 0.0007)' in text
    assert 'Both settings that reached a validation accuracy of 0.9 did so in the same epoch (2 of 2 runs reached ' \
        'it, in epoch 1), after 1.00 s of training each.' in text


def test_a_falling_or_diverging_setting_is_named_unstable():
    results = _results({'steady': [0.95, 0.95], 'falls': [0.9, 0.9]})
    for run in results['experiments']['sweep']['configs'][1]['runs']:
        run['val_acc'] = [0.93, 0.9]
    results['experiments']['sweep']['configs'][0]['runs'][1]['stop_reason'] = 'loss became nan at epoch 0'
    text = report_text.findings(report_text.analyse(results)['experiments']['sweep'])
    assert '“steady” diverged (the loss became non-finite) in 1 of 2 runs' in text
    assert 'the mean validation accuracy of “falls” fell from 0.9300 at epoch 1 to 0.9000 at epoch 2' in text
