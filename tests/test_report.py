"""report.py: `--quick` end to end (PDF pages, every experiment's numbers in the JSON), flags, summaries."""
import io
import json
import os
import re
import subprocess
import sys

import pytest

import report

ROOT = os.path.join(os.path.dirname(__file__), '..')
PAGES = 15   # front page; baseline table + 4 figures; momentum 3; learning rate 2; batch size 2; MLP 2


@pytest.fixture(scope='module')
def quick(tmp_path_factory):
    """(stdout, results.json, folder) of one `python report.py --quick` run."""
    out = tmp_path_factory.mktemp('report')
    done = subprocess.run([sys.executable, 'report.py', '--quick', '--out', str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with open(out / 'results.json') as f:
        return done.stdout, json.load(f), out


def test_quick_writes_a_pdf_with_every_page(quick):
    stdout, _, out = quick
    pdf = (out / 'report.pdf').read_bytes()
    assert pdf.startswith(b'%PDF') and len(re.findall(rb'/Type\s*/Page\b(?!s)', pdf)) == PAGES
    assert f'({PAGES} pages)' in stdout
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
