"""The live view's loss and accuracy curves as an SVG string, drawn by hand in about a millisecond.

Jupyter shows the string as is (progress.LiveDisplay redraws it after every epoch); a matplotlib PNG
of the same curves takes 0.2-0.8 s on this machine, longer than a softmax-regression epoch. Only the
choice of round tick values is matplotlib's (its MaxNLocator, no figure).
"""
import numpy as np

from criterion import METRIC_NAMES


def train_val_svg(history, metric='acc', size=(330, 200)):
    """plot_train_val's two panels as an SVG string, drawn by hand in about a millisecond.

    The live view redraws this after every epoch; a matplotlib PNG of the same curves takes
    0.2-0.8 s on this machine, longer than a softmax-regression epoch. Curves are named by their
    split (train, validation).
    """
    names = {'loss': 'loss', metric: METRIC_NAMES.get(metric, metric)}
    panels = [_svg_panel({'train': history['train_' + key], 'validation': history['val_' + key]},
                         name, i * (size[0] + 10), size) for i, (key, name) in enumerate(names.items())]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * size[0] + 10}" height="{size[1]}" '
            f'font-family="sans-serif" font-size="11">{"".join(panels)}</svg>')


def _round_ticks(low, high, count=4, integer=False):
    """(ticks (T,), their labels): about `count` round values covering [low, high], as matplotlib
    would choose them, each label written out whole ('0.0005', not '5e-04' or a clipped '.0005')."""
    from matplotlib.ticker import MaxNLocator
    ticks = MaxNLocator(nbins=count, integer=integer, min_n_ticks=2).tick_values(low, high)
    ticks = ticks[(ticks >= low - 1e-12 * abs(high - low)) & (ticks <= high + 1e-12 * abs(high - low))] \
        if integer else ticks
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = next(d for d in range(12) if np.allclose(np.round(ticks, d), ticks, rtol=0, atol=step * 1e-3))
    return ticks, [f'{t:.{decimals}f}' for t in ticks]


def _svg_panel(series, name, left, size, pad=(12, 12, 28, 36)):
    """One panel: round y ticks with grid lines, epoch ticks, a polyline per series, its legend.

    pad: (extra left, right, top, bottom) pixels; the left margin grows with the widest y label.
    """
    values = np.concatenate([np.asarray(v, dtype=float) for v in series.values()] + [np.zeros(0)])
    values = values[np.isfinite(values)]
    low, high = (values.min(), values.max()) if len(values) else (0.0, 1.0)
    high = high if high > low else low + max(abs(low) * 0.1, 1e-3)
    ticks, labels = _round_ticks(low, high)
    low, high = min(low, ticks[0]), max(high, ticks[-1])
    label_width = 7 * max(len(label) for label in labels)
    epochs = max([len(v) for v in series.values()] + [2])
    x0, y0 = left + pad[0] + label_width, pad[2]
    width, height = size[0] - pad[0] - label_width - pad[1], size[1] - pad[2] - pad[3]
    y_of = lambda v: y0 + height * (high - v) / (high - low)   # noqa: E731
    x_of = lambda e: x0 + width * (e - 1) / (epochs - 1)   # noqa: E731  (e: epoch from 1)
    parts = [f'<rect x="{x0}" y="{y0}" width="{width}" height="{height}" fill="none" stroke="#999"/>',
             f'<text x="{x0 + width / 2}" y="{y0 - 8}" text-anchor="middle">{name}</text>']
    for tick, label in zip(ticks, labels):
        parts.append(f'<line x1="{x0}" x2="{x0 + width}" y1="{y_of(tick):.1f}" y2="{y_of(tick):.1f}" '
                     f'stroke="#ddd"/><text x="{x0 - 4}" y="{y_of(tick) + 4:.1f}" text-anchor="end">{label}</text>')
    for epoch, label in zip(*_round_ticks(1, epochs, count=5, integer=True)):
        parts.append(f'<text x="{x_of(epoch):.1f}" y="{y0 + height + 14}" text-anchor="middle">{label}</text>')
    parts.append(f'<text x="{x0 + width}" y="{y0 + height + 28}" text-anchor="end">epoch</text>')
    for i, (label, ys) in enumerate(series.items()):
        colour = ('#1f77b4', '#ff7f0e')[i % 2]
        ys = np.asarray(ys, dtype=float)
        points = ' '.join(f'{x_of(e):.1f},{y_of(y):.1f}' for e, y in enumerate(ys, 1) if np.isfinite(y))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        if points.count(',') == 1:   # one epoch so far: a line of one point draws nothing, so a dot
            x, y = points.split(',')
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
        parts.append(f'<text x="{x0 + 6 + 70 * i}" y="{y0 + height + 28}" fill="{colour}">— {label}</text>')
    return ''.join(parts)
