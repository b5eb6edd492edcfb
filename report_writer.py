"""report.pdf, results.json and results.md from the results of `report.run_experiments`.

`sections(results)` lists the report in order (title page, then per experiment its findings, table and
captioned figures); the PDF (A4 pages, report_pdf.py) and the Markdown both render that one list, so
they hold the same text. The words come from report_text.py, the figures from visualize.py through
the functions below, which runner.ipynb calls too.
"""
import functools
import json
import math
import os

import numpy as np
from matplotlib.backends.backend_pdf import PdfPages

import report_pdf
import report_text
import visualize as vis
from dataloader import Dataset
from files import write_atomic

CURVE_NAMES = {'val_acc': 'validation accuracy', 'train_loss': 'training loss', 'train_acc': 'training accuracy'}


# ---------------------------------------------------------------- numbers as text

def _fmt(stat, digits=4):
    """'mean ± std' of a summary statistic, '—' when no run produced the value."""
    if stat['mean'] is None:
        return '—'
    return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"


def table(results, name):
    """(columns, rows of text) of one experiment: one row per configuration, mean ± std over seeds."""
    experiment, threshold = results['experiments'][name], results['settings']['threshold']
    columns = ['configuration', 'train acc', 'val acc', 'test acc', 's / epoch',
               f'epochs to val ≥ {threshold:g}', f's to val ≥ {threshold:g}', '']
    rows = []
    for config in experiment['configs']:
        s, n = config['summary'], len(config['runs'])
        reached = f"{_fmt(s['epochs_to_threshold'], 1)} ({s['epochs_to_threshold']['n']}/{n} runs)"
        rows.append([config['label'], _fmt(s['train_acc']), _fmt(s['val_acc']), _fmt(s['test_acc']),
                     _fmt(s['epoch_time'], 2), reached, _fmt(s['seconds_to_threshold'], 1),
                     'selected (val)' if config['label'] == experiment['selected'] else ''])
    return columns, rows


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


def figures(results, name):
    """[(build, caption), ...] of an experiment's figures; build() makes the Figure when it is drawn."""
    made = []

    def baseline(i):   # the four baseline figures share one pass over the test set
        made[:] = made or baseline_figures(results)
        return made[i]
    builds = {'baseline': [functools.partial(baseline, i) for i in range(4)],
              'momentum': [lambda: curves_figure(results, 'momentum'), lambda: time_to_accuracy_figure(results)],
              'learning_rate': [lambda: sweep_figure(results, 'learning_rate')],
              'batch_size': [lambda: sweep_figure(results, 'batch_size')],
              'mlp': [lambda: mlp_figure(results)]}[name]
    return list(zip(builds, report_text.captions(results, name)))


def sections(results):
    """The report in order, as (kind, content) blocks that the PDF and the Markdown both render:
    title, paragraph, heading, findings, table (columns, rows), figure (build, caption)."""
    findings = results.get('findings') or report_text.analyse(results)
    out = [('title', "MNIST with the numpy course framework: the assignment's experiments")]
    out += [('paragraph', text) for text in report_text.overview(results, findings)]
    out.append(('table', (['setting', 'value'], [[key, str(value)] for key, value in results['settings'].items()])))
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
            document.new_page()
            document.heading(content)
        elif kind in ('paragraph', 'findings'):
            document.paragraph(content)
        elif kind == 'table':
            document.table(*content)
        else:
            number += 1
            build, caption = content
            document.figure(build(), f'Figure {number}. {caption}')
    return document.finish('MNIST report (report.py)')


def markdown(results):
    """The same text as report.pdf, with its tables, as Markdown (figures by their captions)."""
    lines, number = [], 0
    for kind, content in sections(results):
        if kind == 'title':
            lines += [f'# {content}', '']
        elif kind == 'heading':
            lines += [f'## {content}', '']
        elif kind in ('paragraph', 'findings'):
            lines += [content, '']
        elif kind == 'table':
            columns, rows = content
            lines += ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
            lines += ['| ' + ' | '.join(row) + ' |' for row in rows] + ['']
        else:
            number += 1
            lines += [f'*Figure {number}. {content[1]}*', '']
    return '\n'.join(lines)


# ---------------------------------------------------------------- files



def write_pdf(figures, file):
    """Save each figure as one page of a PDF; returns the page count."""
    with PdfPages(file, metadata={'Title': 'MNIST report', 'Creator': 'report.py'}) as pdf:
        for figure in figures:
            pdf.savefig(figure)
    return len(figures)


def write_report(results, folder):
    """Write report.pdf, results.json and results.md into folder (created if missing).

    Returns a description of each file written, e.g. 'report_out/report.pdf (15 pages)'.
    """
    os.makedirs(folder, exist_ok=True)
    results = dict(results, findings=report_text.analyse(results))
    paths = {kind: os.path.join(folder, name) for kind, name in
             (('pdf', 'report.pdf'), ('json', 'results.json'), ('md', 'results.md'))}
    write_atomic(paths['json'], lambda f: f.write(to_json(results).encode()))
    write_atomic(paths['md'], lambda f: f.write(markdown(results).encode()))
    pages = pdf_pages(results)
    write_atomic(paths['pdf'], lambda f: write_pdf(pages, f))
    return [f"{paths['pdf']} ({len(pages)} pages)", paths['json'], paths['md']]
