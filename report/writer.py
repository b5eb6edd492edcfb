"""report.pdf, results.json and results.md from the results of `report.experiments.run_experiments`.

`sections(results)` lists the report in order (title page, then per experiment its findings, table and
captioned figures); the PDF (A4 pages, report/pdf.py) and the Markdown both render that one list, so
they hold the same text. The words come from report/text.py, the figures from visualize.py through
the functions below (which runner.ipynb calls too), each with the caption written beside it.
"""
import functools
import json
import math
import os

import numpy as np
from matplotlib.backends.backend_pdf import PdfPages

from report import pdf as report_pdf, text as report_text
from formatting import duration_pm, markdown_table, settings_rows, spread, stat
import visualize as vis
from dataloader import Dataset
from files import write_atomic

CURVE_NAMES = {'val_acc': 'validation accuracy', 'train_loss': 'training loss', 'train_acc': 'training accuracy'}


# ---------------------------------------------------------------- numbers as text

def table(results, name):
    """(columns, rows of text) of one experiment: one row per configuration, mean ± std over seeds."""
    experiment, threshold = results['experiments'][name], results['settings']['threshold']
    columns = ['configuration', 'train acc', 'val acc', 'test acc', 'time / epoch',
               f'epochs to val ≥ {threshold:g}', f'time to val ≥ {threshold:g}', 'chosen on val']
    rows = []
    for config in experiment['configs']:
        s, n = config['summary'], len(config['runs'])
        reached = f"{stat(s['epochs_to_threshold'], 1)} ({s['epochs_to_threshold']['n']}/{n} runs)"
        rows.append([config['label'], stat(s['train_acc']), stat(s['val_acc']), stat(s['test_acc']),
                     _time(s['epoch_time']), reached, _time(s['seconds_to_threshold']),
                     'yes' if config['label'] == experiment['selected'] else ''])
    return columns, rows


def _time(summary):
    """A summary statistic in seconds as text, in ms when small; its std only with two runs or more and
    when it shows (formatting.spread, duration_pm)."""
    return duration_pm(summary['mean'], spread(summary))


def to_json(results):
    """The results without the in-memory models ('_' keys); NaN and ±inf become null."""
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not k.startswith('_')}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, (float, np.floating)):
            return float(value) if math.isfinite(value) else None
        return int(value) if isinstance(value, np.integer) else value
    return json.dumps(clean(results), indent=1, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------- figures

def _matrix(runs, key):
    """(S, E) array of a per-epoch list over S seeds' runs; NaN pads a run that stopped early."""
    length = max(len(run[key]) for run in runs)
    return np.array([run[key] + [np.nan] * (length - len(run[key])) for run in runs], dtype=float)


def _series(experiment, key):
    """(mean (K,), std (K,)) of a summary statistic over the K configurations; NaN where missing."""
    stats = [config['summary'][key] for config in experiment['configs']]
    return tuple(np.array([np.nan if s[part] is None else s[part] for s in stats]) for part in ('mean', 'std'))


def test_predictions(model, data_root):
    """(images (N, 784) uint8, labels (N,), predicted classes (N,)) of a model on the test split."""
    test = Dataset(data_root, 'test')
    images, labels = test.batch(np.arange(len(test)))
    return test.images, labels, model.predict(images).argmax(axis=1)


def confusion_matrix(labels, predictions, num_classes=10):
    """(K, K) counts, row = true class, column = predicted class."""
    pairs = np.asarray(labels) * num_classes + np.asarray(predictions)
    return np.bincount(pairs, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def curves_figure(results, name, keys=('val_acc', 'train_loss')):
    """Per-epoch curves (mean ± std over seeds) of every configuration of an experiment."""
    configs = results['experiments'][name]['configs']
    return vis.plot_panels({CURVE_NAMES[key]: {c['label']: _matrix(c['runs'], key) for c in configs}
                            for key in keys})


def baseline_figures(results):
    """[loss and accuracy curves, weight images, confusion matrix, misclassified digits]; the last
    three show the first seed's model on the test split."""
    config = results['experiments']['baseline']['configs'][0]
    runs, model = config['runs'], config['_model']
    curves = vis.plot_panels({kind: {'train': _matrix(runs, f'train_{key}'),
                                     'validation': _matrix(runs, f'val_{key}')}
                              for kind, key in (('loss', 'loss'), ('accuracy', 'acc'))})
    images, labels, predictions = test_predictions(model, results['settings']['data_root'])
    return [curves, vis.plot_weights(model.W), vis.plot_confusion_matrix(confusion_matrix(labels, predictions)),
            vis.plot_misclassified(images, labels, predictions)]


def time_to_accuracy_figure(results, name='momentum'):
    """Mean validation accuracy against mean cumulative training seconds, per configuration."""
    runs = {c['label']: (np.nanmean(np.cumsum(_matrix(c['runs'], 'epoch_time'), axis=1), axis=0),
                         np.nanmean(_matrix(c['runs'], 'val_acc'), axis=0))
            for c in results['experiments'][name]['configs']}
    return vis.plot_time_to_accuracy(runs, results['settings']['threshold'])


def sweep_figure(results, name):
    """Final train and validation accuracy against the swept setting ('learning_rate' or
    'batch_size'), and the final training loss (α) or seconds per epoch (batch) beside it."""
    experiment = results['experiments'][name]
    second, key = {'learning_rate': ('final training loss', 'train_loss'),
                   'batch_size': ('seconds per epoch', 'epoch_time')}[name]
    panels = {'final accuracy': {'train': _series(experiment, 'train_acc'),
                                 'validation': _series(experiment, 'val_acc')},
              second: {'train': _series(experiment, key)}}
    x = [config['spec'][name] for config in experiment['configs']]
    selected = next(c['spec'][name] for c in experiment['configs'] if c['label'] == experiment['selected'])
    return vis.plot_sweep(x, panels, name.replace('_', ' '), logx=True, mark=selected)


def mlp_figure(results):
    """Validation accuracy per epoch of the MLP variants, one panel per comparison of case 2."""
    mlp = results['experiments']['mlp']
    by_label = {c['label']: c for c in mlp['configs']}
    return vis.plot_panels({comparison: {label: _matrix(by_label[label]['runs'], 'val_acc') for label in labels}
                            for comparison, labels in mlp['comparisons'].items()}, ylabel='validation accuracy')


def captions(results, name):
    """The captions of an experiment's figures, in the order this module draws them."""
    seeds, threshold = len(results['settings']['seeds']), results['settings']['threshold']
    band = f'line: mean over the {seeds} seeds, band: ± one standard deviation' if seeds > 1 else 'one seed'
    bars = (f'error bars: ± one standard deviation over the {seeds} seeds; ' if seeds > 1 else 'one seed; ') + \
        'dashed line: the setting chosen on validation'
    configs = results['experiments'].get(name, {}).get('configs', [])
    reached = any((report_text.mean_curve(c['runs']) >= threshold).any() for c in configs)   # as the figure draws its stars
    star = (f'a star marks where a setting first reaches {threshold:g} (dashed line)' if reached else
            f'no setting reached {threshold:g} (dashed line) within the epochs trained, so no star is drawn')
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
                         f'Mean validation accuracy against cumulative training time (validation excluded); {star}.'],
            'mlp': [f'Validation accuracy per epoch of the multi-layer perceptrons, compared by activation, loss and '
                    f'depth; {band}.']}[name]


def figures(results, name):
    """[(build, caption), ...] of an experiment's figures; build() makes the Figure when it is drawn
    (once per results when results holds a '_figures' cache)."""
    made = []

    def baseline(i):   # the four baseline figures share one pass over the test set
        made[:] = made or baseline_figures(results)
        return made[i]
    builds = {'baseline': [functools.partial(baseline, i) for i in range(4)],
              'momentum': [lambda: curves_figure(results, 'momentum'), lambda: time_to_accuracy_figure(results)],
              'learning_rate': [lambda: sweep_figure(results, 'learning_rate')],
              'batch_size': [lambda: sweep_figure(results, 'batch_size')],
              'mlp': [lambda: mlp_figure(results)]}[name]
    cache = results.get('_figures')   # write_report's: the PDF and results.md's PNG files share one Figure

    def built(i, build):
        if cache is None:
            return build()
        if (name, i) not in cache:
            cache[name, i] = build()
        return cache[name, i]
    return [(functools.partial(built, i, build), caption)
            for i, (build, caption) in enumerate(zip(builds, captions(results, name)))]


def sections(results):
    """The report in order, as (kind, content) blocks that the PDF and the Markdown both render:
    title, paragraph, heading, findings, table (columns, rows), figure (build, caption)."""
    findings = results.get('findings') or report_text.analyse(results)
    out = [('title', "MNIST with the numpy course framework: the assignment's experiments")]
    out += [('paragraph', text) for text in report_text.overview(results, findings)]
    out.append(('table', (['setting', 'value'], settings_rows(results['settings']))))
    for name, experiment in results['experiments'].items():
        out += [('heading', experiment['title']), ('findings', report_text.findings(findings['experiments'][name])),
                ('table', table(results, name))]
        out += [('figure', pair) for pair in figures(results, name)]
    return out


def pdf_pages(results):
    """report.pdf's A4 pages: the title page, then each experiment's findings, table and figures."""
    document, number = report_pdf.Document(), 0
    for kind, content in sections(results):
        if kind == 'title':
            document.heading(content, size=17)
        elif kind == 'heading':
            document.heading(content)
        elif kind in ('paragraph', 'findings'):
            document.paragraph(content)
        elif kind == 'table':
            document.table(*content)
        else:
            number += 1
            build, caption = content
            document.figure(build(), f'Figure {number}. {caption}')
    return document.finish('MNIST report (python -m report)')


def markdown(results, figure_files=None, level=1):
    """The same text as report.pdf, with its tables, as Markdown.

    figure_files: the figures' image paths in report order, relative to the Markdown file; each is
    embedded above its caption. None leaves the figures and their captions out (a notebook draws
    its own). level: the title's heading level (3 inside a notebook's section), experiments one below.
    """
    lines, number = [], 0
    for kind, content in sections(results):
        if kind == 'title':
            lines += ['#' * level + f' {content}', '']
        elif kind == 'heading':
            lines += ['#' * (level + 1) + f' {content}', '']
        elif kind in ('paragraph', 'findings'):
            lines += [content, '']
        elif kind == 'table':
            lines += [markdown_table(*content), '']
        elif figure_files:
            lines += [f'![Figure {number + 1}]({figure_files[number]})', '', f'*Figure {number + 1}. {content[1]}*', '']
            number += 1
    return '\n'.join(lines)


# ---------------------------------------------------------------- files



def write_pdf(figures, file):
    """Save each figure as one page of a PDF; returns the page count."""
    with PdfPages(file, metadata={'Title': 'MNIST report', 'Creator': 'python -m report'}) as pdf:
        for figure in figures:
            pdf.savefig(figure)
    return len(figures)


def write_figures(results, folder):
    """Each figure of the report as folder/figure-N.png at FIGURE_DPI; the file names, in order."""
    os.makedirs(folder, exist_ok=True)
    names = []
    for number, (build, _) in enumerate((c for kind, c in sections(results) if kind == 'figure'), 1):
        names.append(f'figure-{number}.png')
        write_atomic(os.path.join(folder, names[-1]),
                     lambda f, figure=build(): figure.savefig(f, format='png', dpi=report_pdf.FIGURE_DPI))
    return names


def write_report(results, folder):
    """Write report.pdf, results.json, results.md and the figures it embeds (figures/) into folder
    (created if missing).

    Returns a description of each file written, e.g. 'report_out/report.pdf (15 pages)'.
    """
    os.makedirs(folder, exist_ok=True)
    results = dict(results, findings=report_text.analyse(results), _figures={})
    paths = {kind: os.path.join(folder, name) for kind, name in
             (('pdf', 'report.pdf'), ('json', 'results.json'), ('md', 'results.md'))}
    write_atomic(paths['json'], lambda f: f.write(to_json(results).encode()))
    names = write_figures(results, os.path.join(folder, 'figures'))
    write_atomic(paths['md'], lambda f: f.write(markdown(results, [f'figures/{n}' for n in names]).encode()))
    pages = pdf_pages(results)
    write_atomic(paths['pdf'], lambda f: write_pdf(pages, f))
    return [f"{paths['pdf']} ({len(pages)} pages)", paths['json'], f"{paths['md']} (figures in figures/)"]
