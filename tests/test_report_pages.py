"""The quick report reads like the full one: its pages filled, figures sharp and embedded in
results.md, numbers with the precision they have, captions true to their figures."""
import re
import shutil
import subprocess

import numpy as np
import pytest
from matplotlib.image import imread

from report import experiments, pdf as report_pdf, text as report_text, writer as report_writer
import formatting
import visualize as vis

poppler = pytest.mark.skipif(not shutil.which('pdftoppm') or not shutil.which('pdfimages'),
                             reason='needs poppler-utils (pdftoppm, pdfimages)')


@poppler
def test_every_figure_is_embedded_at_200_ppi_or_more(quick):
    listing = subprocess.run(['pdfimages', '-list', str(quick[2] / 'report.pdf')], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    ppi = [int(line.split()[12]) for line in listing]
    assert len(ppi) == 9 and min(ppi) >= report_pdf.FIGURE_DPI, ppi


@poppler
def test_every_page_but_the_last_is_filled(quick, tmp_path):
    """Ink reaches the bottom 40% of every page but the last (the footer aside)."""
    subprocess.run(['pdftoppm', '-r', '30', '-gray', '-png', str(quick[2] / 'report.pdf'), str(tmp_path / 'p')],
                   check=True)
    pages = sorted(tmp_path.glob('p-*.png'))
    for page in pages[:-1]:
        pixels = imread(page)
        pixels = pixels.min(axis=-1) if pixels.ndim == 3 else pixels   # darkest channel
        ink = pixels[:int(len(pixels) * (1 - report_pdf.MARGIN * 0.8 / report_pdf.PAGE_HEIGHT))] < 0.9
        lowest = np.flatnonzero(ink.any(axis=1)).max() / len(ink)
        assert lowest > 0.6, (page.name, f'content ends {lowest:.0%} down the page')


def test_results_md_embeds_each_figure_above_its_caption(quick):
    markdown, folder = (quick[2] / 'results.md').read_text(), quick[2]
    embedded = re.findall(r'!\[Figure (\d+)\]\((figures/figure-\d+\.png)\)\n\n\*Figure (\d+)\. ', markdown)
    assert [int(n) for n, _, _ in embedded] == list(range(1, 10)) and all(a == b for a, _, b in embedded)
    for _, path, _ in embedded:
        assert (folder / path).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_the_text_gives_numbers_their_precision_and_settings_in_words(quick):
    markdown = (quick[2] / 'results.md').read_text()
    assert not re.search(r'\b0\.0 s\b|± 0\.00 \||\b1(\.0)? epochs\b|\bmlp_epochs\b|\btrain_size\b|\| \(0, 1\) \|', markdown)
    assert re.search(r'One epoch took \d+ ms', markdown) and re.search(r'\| \d+ ± \d+ ms \|', markdown)
    assert not re.search(r'won: “[^”]*” \(', markdown)   # the winner named once, with its accuracy
    for header in re.findall(r'^\| configuration .*\|$', markdown, flags=re.M):
        assert '|  |' not in header   # every column has a header


def _with_times(times_by_label):
    """Results of one experiment, one setting per label, one run per list of per-epoch seconds."""
    configs = []
    for label, runs in times_by_label.items():
        runs = [{'train_acc': [0.9] * len(t), 'val_acc': [0.9] * len(t), 'train_loss': [0.3] * len(t),
                 'test_acc': 0.9, 'epoch_time': t, 'stop_reason': None} for t in runs]
        configs.append({'label': label, 'spec': {'epochs': 2}, 'runs': runs, 'summary': experiments.summarize(runs, 0.95)})
    return {'settings': {'seeds': (0, 1), 'threshold': 0.95},
            'experiments': {'sweep': {'title': '1. sweep', 'configs': configs, 'selected': None}}}


def test_epoch_times_within_the_epochs_own_variation_are_called_noise():
    noisy = _with_times({'a': [[0.025, 0.026], [0.025, 0.041]], 'b': [[0.039, 0.040], [0.040, 0.044]]})
    text = report_text.findings(report_text.analyse(noisy)['experiments']['sweep'])
    assert 'about as long with every setting: the means range from 29 ms to 41 ms, within timing noise' in text
    assert '(the fastest)' not in text
    apart = _with_times({'a': [[0.025, 0.026], [0.025, 0.027]], 'b': [[0.079, 0.080], [0.075, 0.074]]})
    text = report_text.findings(report_text.analyse(apart)['experiments']['sweep'])
    assert 'One epoch took 26 ms with “a” (the fastest) and 77 ms with “b” (the slowest' in text
    too_few = _with_times({'a': [[0.025, 0.026]], 'b': [[0.079, 0.080]]})   # 2 epochs: no measure of the noise
    text = report_text.findings(report_text.analyse(too_few)['experiments']['sweep'])
    assert 'with 2 epochs timed per setting, a difference cannot be told from' in text and 'fastest' not in text


def test_one_seed_shows_no_spread():
    results = _with_times({'a': [[0.5]], 'b': [[0.6]]})
    facts = report_text.analyse(results)['experiments']['sweep']
    assert '±' not in report_text.findings(facts)
    columns, rows = report_writer.table(results, 'sweep')
    assert all('±' not in cell for row in rows for cell in row) and all(columns)


def test_runs_that_agree_show_no_spread_in_the_tables():
    """Two runs of 29 ms per epoch reaching the threshold in epoch 2 both: '29 ms', '2.0 (2/2 runs)', no '± 0'."""
    results = _with_times({'a': [[0.029, 0.029], [0.029, 0.029]], 'b': [[0.0291, 0.0290], [0.0290, 0.0291]]})
    results['settings']['threshold'] = 0.85
    for config in results['experiments']['sweep']['configs']:
        config['summary'] = experiments.summarize(config['runs'], 0.85)
    columns, rows = report_writer.table(results, 'sweep')
    assert [row[4] for row in rows] == ['29 ms', '29 ms'] and rows[0][5] == '1.0 (2/2 runs)', rows
    assert all('±' not in cell for row in rows for cell in row)
    assert formatting.pm(0.9, 0.00004) == '0.9000' and formatting.pm(0.9, 0.0004) == '0.9000 ± 0.0004'
    assert formatting.duration_pm(0.036, 0.004) == '36 ± 4 ms' and formatting.duration_pm(0.036, 0.0) == '36 ms'


def test_the_time_to_accuracy_caption_promises_a_star_only_when_one_is_drawn(quick):
    results = quick[1]
    for threshold in (0.5, 0.99):   # every setting reaches it; none does
        results['settings']['threshold'] = threshold
        stars = [line for ax in report_writer.time_to_accuracy_figure(results).axes for line in ax.lines
                 if line.get_marker() == '*']
        caption = report_writer.captions(results, 'momentum')[1]
        assert ('a star marks' in caption) == bool(stars) and ('no star' in caption) == (not stars), caption


def test_a_single_epoch_is_drawn_on_an_epoch_axis_not_around_it():
    ax = vis.plot_panels({'depth': {'a': np.array([[0.9], [0.92]])}}).axes[0]
    assert ax.get_xlim() == (0.5, 1.5) and list(ax.get_xticks()) == [1]
