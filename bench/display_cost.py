"""What the live display costs: epoch time with cfg['display'] 'live' against 'none', interleaved.

Trains case 1 (softmax regression, batch 100, 55,000 images) and optionally the 784-256-10 MLP,
alternating 'live' and 'none' (which goes first alternates too), and prints the median seconds per
epoch of each and their ratio. The live view writes to a stand-in terminal (a TTY-like stream that
discards its text), so its text is formatted and written as in a real terminal. It also times one
redraw of the Jupyter curves (visualize.train_val_svg, what the live view sends after every epoch)
against the same curves as a matplotlib PNG (plot_train_val, as IPython would render it).

    python bench/display_cost.py --rounds 6 --epochs 2 [--mlp]
"""
import argparse
import io
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import progress  # noqa: E402
import visualize  # noqa: E402
from solver import Solver, build_mlp  # noqa: E402


class NullTerminal(io.TextIOBase):
    """A terminal that shows nothing: isatty() is True, writes are discarded."""

    def isatty(self):
        return True

    def write(self, text):
        return len(text)


def epoch_times(display, epochs, mlp):
    cfg = {'max_epoch': epochs, 'display': 'none'}
    if mlp:
        cfg.update(model=build_mlp([256], 'relu', seed=0), learning_rate=0.1, momentum=0.9)
    solver = Solver(cfg)
    if display == 'live':
        solver.display = progress.make_display('live', 'accuracy', 50, NullTerminal())
    solver.train()
    return solver.history['epoch_time']


def hook_seconds(kind, batches=550, repeats=7):
    """Median seconds the display's hooks take for one epoch of `batches` batches, alone."""
    times = []
    for _ in range(repeats):
        display = progress.make_display(kind, 'accuracy', 50, NullTerminal())
        display.start(0, 1, batches, batches * 100)
        start = time.perf_counter()
        for iteration in range(batches):
            display.batch(0, iteration, 0.3, 0.9, 100)
        display.train_epoch(0, 0.3, 0.9, 0.2)
        display.val_epoch(0, 0.25, 0.92)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def redraw_seconds(draw, epochs=20, repeats=5):
    """Median seconds of draw(history) for curves of `epochs` epochs."""
    history = {key: list(range(1, epochs + 1)) for key in ('train_loss', 'val_loss', 'train_acc', 'val_acc')}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        draw(history)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=6)
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--mlp', action='store_true', help='the 784-256-10 MLP instead of softmax regression')
    args = parser.parse_args()
    times = {'live': [], 'none': []}
    for round_ in range(args.rounds):
        order = ('live', 'none') if round_ % 2 == 0 else ('none', 'live')
        for display in order:
            times[display] += epoch_times(display, args.epochs, args.mlp)
    live, none = statistics.median(times['live']), statistics.median(times['none'])
    print(f"{'MLP 784-256-10' if args.mlp else 'softmax regression'}, {args.rounds} rounds x {args.epochs} epochs, "
          f"interleaved: median epoch {live:.4f} s live, {none:.4f} s none, ratio live/none {live / none:.3f}")
    print(f"the hooks alone, one epoch of 550 batches: live {hook_seconds('live') * 1000:.2f} ms, "
          f"none {hook_seconds('none') * 1000:.2f} ms")
    svg = redraw_seconds(visualize.train_val_svg)
    png = redraw_seconds(lambda history: visualize.plot_train_val(history)._repr_png_())
    print(f'one redraw of the Jupyter curves (20 epochs, median of 5): SVG {svg * 1000:.2f} ms, '
          f'matplotlib PNG {png * 1000:.0f} ms')


if __name__ == '__main__':
    main()
