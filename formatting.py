"""Numbers as the report prints them: each with the precision it has, and words in the right number.

The report's text (report/text.py), its tables (report/writer.py) and the notebooks print numbers
through these functions only, so a value reads the same wherever it appears ("36 ms" in a table and
in the sentence beside it), a standard deviation is shown only when there is one (two seeds or more),
and counts agree with their nouns ("1 epoch", "2 seeds").
"""


def plural(count, noun, nouns=None):
    """'1 epoch', '2 epochs', '0 runs'; nouns: the plural when it is not noun + 's'."""
    return f'{count:,} {noun if count == 1 else nouns or noun + "s"}'


def duration(seconds):
    """A time with the digits a wall-clock measurement has: '36 ms', '1.25 s', '12.3 s', '196 s'."""
    if seconds is None:
        return '—'
    if seconds < 1:
        return f'{seconds * 1000:.0f} ms' if seconds >= 0.01 else f'{seconds * 1000:.1f} ms'
    return f'{seconds:.{2 if seconds < 10 else 1 if seconds < 100 else 0}f} s'


def duration_pm(mean, std):
    """'36 ± 4 ms': mean and std in the mean's unit; the mean alone when there is no spread to show."""
    if mean is None:
        return '—'
    scale, unit = (1000, 'ms') if mean < 1 else (1, 's')
    digits = 0 if mean * scale >= 10 else 1
    if not _shows(None if std is None else std * scale, digits):
        return duration(mean)
    return f'{mean * scale:.{digits}f} ± {std * scale:.{digits}f} {unit}'


def pm(mean, std, digits=4):
    """'0.9028 ± 0.0014'; the mean alone when there is no spread to show (std None: a single seed; or a
    std that reads 0 at these digits: '2.0 ± 0.0' says nothing the mean does not); '—' when no run
    produced the value."""
    if mean is None:
        return '—'
    return f'{mean:.{digits}f} ± {std:.{digits}f}' if _shows(std, digits) else f'{mean:.{digits}f}'


def _shows(std, digits):
    """True when the std is there and does not print as zero with `digits` decimals."""
    return std is not None and f'{abs(std):.{digits}f}' != f'{0:.{digits}f}'


def spread(summary):
    """The std of a summary statistic {'mean', 'std', 'n'} when it has one (n ≥ 2), else None."""
    return summary['std'] if summary['n'] >= 2 else None


def stat(summary, digits=4):
    """pm() of a summary statistic {'mean', 'std', 'n'}: the std only when n ≥ 2 and it shows."""
    return pm(summary['mean'], spread(summary), digits)


def epochs(mean):
    """The epochs a setting needed, counted from 1: '1 epoch', '2 epochs', '1.5 epochs on average'."""
    if float(mean).is_integer():
        return plural(int(mean), 'epoch')
    return f'{mean:.1f} epochs on average'


def listing(values):
    """'0.001, 0.01, 0.1, 1': a sequence of settings as the text names them."""
    return ', '.join(f'{v:g}' if isinstance(v, float) else str(v) for v in values)


SETTING_NAMES = {'seeds': 'seeds', 'epochs': 'softmax regression: epochs', 'mlp_epochs': 'MLP: epochs',
                 'train_size': 'training images used', 'threshold': 'validation accuracy threshold',
                 'learning_rates': 'learning rates α swept', 'batch_sizes': 'batch sizes swept',
                 'data_root': 'data folder', 'quick': 'size'}


def settings_rows(settings):
    """[[name, value], ...] of the report's settings (report/experiments.py) in words, for its settings table."""
    size = settings['train_size']
    shown = {'train_size': 'all 55,000' if size == 55000 else f'the first {size:,} of 55,000',
             'quick': '--quick (a smoke test)' if settings['quick'] else 'full'}
    rows = []
    for key, value in settings.items():
        text = shown.get(key, listing(value) if isinstance(value, (list, tuple)) else f'{value:g}'
                         if isinstance(value, float) else str(value))
        rows.append([SETTING_NAMES.get(key, key.replace('_', ' ')), text])
    return rows


def markdown_table(columns, rows):
    """A Markdown table: columns (C,) headers, rows [(C,) cells, ...]."""
    lines = ['| ' + ' | '.join(map(str, columns)) + ' |', '|' + '---|' * len(columns)]
    return '\n'.join(lines + ['| ' + ' | '.join(map(str, row)) + ' |' for row in rows])


class Table:
    """A table a notebook shows as a table (its Markdown) and a plain console as the same text.

    Returned as a cell's value or passed to display(); .columns and .rows keep the cells.
    """

    def __init__(self, columns, rows):
        self.columns, self.rows = list(columns), [list(row) for row in rows]

    def _repr_markdown_(self):
        return markdown_table(self.columns, self.rows)

    def __repr__(self):
        return markdown_table(self.columns, self.rows)
