"""What the Solver shows while it trains: the course's printed lines, a live view, or silence.

`make_display(kind, ...)` gives one of three displays with the same hooks, which the Solver's loop
calls instead of printing:
    start(first_epoch, epochs, batches, samples)   when train() begins
    batch(epoch, iteration, loss, acc, size)       after every training batch
    train_epoch(epoch, loss, acc, seconds)         the epoch's sample-weighted training means
    val_epoch(epoch, loss, acc)                    after validation
    stop(reason)                                   divergence or Ctrl-C: shown in every mode
'print' prints exactly the course's lines; 'none' is silent; 'live' keeps one status line current
(`StatusLine`): rewritten in place in a terminal, an HTML bar plus the loss and accuracy curves in
Jupyter, one plain line per epoch in a pipe. Nothing here imports IPython or matplotlib unless a
Jupyter kernel is already running them.
"""
import sys
import time

from criterion import METRIC_NAMES
from formatting import duration

DISPLAYS = ('print', 'live', 'none')
REDRAW_EVERY = 0.15   # seconds of wall time between two redraws of a live line
BAR_WIDTH = 20


def in_notebook():
    """True inside a Jupyter kernel: IPython is loaded and its shell has a kernel (a terminal
    IPython has none). Never imports IPython itself, so plain Python pays nothing."""
    ipython = sys.modules.get('IPython')
    get_ipython = getattr(ipython, 'get_ipython', None)
    return get_ipython is not None and getattr(get_ipython(), 'kernel', None) is not None


def clock(seconds):
    """'m:ss' of a duration in seconds."""
    seconds = int(max(seconds, 0))
    return f'{seconds // 60}:{seconds % 60:02d}'


def make_display(kind, metric='accuracy', display_freq=50, stream=None):
    """The display for cfg['display']: 'print', 'live' or 'none'.

    metric: what the criterion's `.acc` holds ('accuracy' or 'mean squared error'), for the text;
    stream: where text goes (None: sys.stdout at the time of writing, so redirection works).
    """
    kinds = {'print': PrintDisplay, 'live': LiveDisplay, 'none': Display}
    if kind not in kinds:
        raise ValueError(f'display {kind!r}: expected one of {DISPLAYS}')
    return kinds[kind](metric, display_freq, stream)


class Display:
    """Silence: every hook does nothing, except that a stop is always reported."""

    def __init__(self, metric='accuracy', display_freq=50, stream=None):
        self.metric, self.display_freq, self._stream = metric, display_freq, stream
        self.epochs = self.batches = self.samples = 0

    @property
    def stream(self):
        return self._stream or sys.stdout

    def say(self, text):
        print(text, file=self.stream, flush=True)

    def start(self, first_epoch, epochs, batches, samples):
        self.epochs, self.batches, self.samples = epochs, batches, samples
        self.last_epoch = first_epoch + epochs

    def batch(self, epoch, iteration, loss, acc, size):
        pass

    def train_epoch(self, epoch, loss, acc, seconds):
        pass

    def val_epoch(self, epoch, loss, acc):
        pass

    def stop(self, reason):
        self.say('Training stopped: ' + reason)


class PrintDisplay(Display):
    """The course's lines, byte for byte: every `display_freq` batches, and per epoch."""

    def batch(self, epoch, iteration, loss, acc, size):
        if iteration % self.display_freq == 0:
            self.say(f'Epoch [{epoch}][{self.epochs}]\t Batch [{iteration}][{self.batches}]'
                     f'\t Training Loss {loss:.4f}\t {self.metric.capitalize()} {acc:.4f}')

    def train_epoch(self, epoch, loss, acc, seconds):
        self.say(f'\nEpoch [{epoch}]\t Average training loss {loss:.4f}'
                 f'\t Average training {self.metric} {acc:.4f}\n')

    def val_epoch(self, epoch, loss, acc):
        self.say(f'Epoch [{epoch}]\t Average validation loss {loss:.4f}'
                 f'\t Average validation {self.metric} {acc:.4f}\n')


class LiveDisplay(Display):
    """One status line per epoch: bar, running loss and accuracy, samples/s, time left; in Jupyter
    also the loss and accuracy curves (train and validation), redrawn in place."""

    def __init__(self, metric='accuracy', display_freq=50, stream=None):
        super().__init__(metric, display_freq, stream)
        self.line = StatusLine(stream)
        self.short = {name: key for key, name in METRIC_NAMES.items()}.get(metric, 'acc')
        self.curves = {f'{split}_{key}': [] for split in ('train', 'val') for key in ('loss', self.short)}
        self.figure_handle, self.figure_time = None, -float('inf')

    def start(self, first_epoch, epochs, batches, samples):
        super().start(first_epoch, epochs, batches, samples)
        self._new_epoch()

    def _new_epoch(self):
        self.seen, self.total_loss, self.total_acc, self.begun = 0, 0.0, 0.0, time.perf_counter()

    def batch(self, epoch, iteration, loss, acc, size):
        self.seen, self.total_loss, self.total_acc = (self.seen + size, self.total_loss + loss * size,
                                                      self.total_acc + acc * size)
        if self.line.due():
            self.line.show(self._text(epoch, iteration + 1), iteration + 1, self.batches)

    def _text(self, epoch, done):
        """'epoch e/E [bar] done/batches loss l acc a | n samples/s | m:ss left'."""
        elapsed = max(time.perf_counter() - self.begun, 1e-9)
        rate = self.seen / elapsed
        left = (self.samples - self.seen + self.samples * (self.last_epoch - epoch - 1)) / max(rate, 1e-9)
        seen = max(self.seen, 1)
        return (f'epoch {epoch + 1}/{self.last_epoch} {self._bar(done, self.batches)}{done}/{self.batches} '
                f'loss {self.total_loss / seen:.4f} {self.short} {self.total_acc / seen:.4f} | '
                f'{rate:,.0f} samples/s | {clock(left)} left')

    def _bar(self, done, total):
        """The text bar and a space; none in Jupyter, which draws its own bar beside the text."""
        return '' if self.line.mode == 'notebook' else bar(done, total) + ' '

    def train_epoch(self, epoch, loss, acc, seconds):
        self.curves['train_loss'].append(loss)
        self.curves['train_' + self.short].append(acc)
        self.epoch_seconds = seconds

    def val_epoch(self, epoch, loss, acc):
        self.curves['val_loss'].append(loss)
        self.curves['val_' + self.short].append(acc)
        train_loss, train_acc = self.curves['train_loss'][-1], self.curves['train_' + self.short][-1]
        self.line.show(f'epoch {epoch + 1}/{self.last_epoch} {self._bar(1, 1)}train loss {train_loss:.4f} '
                       f'{self.short} {train_acc:.4f} | val loss {loss:.4f} {self.short} {acc:.4f} | '
                       f'{self.samples / max(self.epoch_seconds, 1e-9):,.0f} samples/s, '
                       f'{duration(self.epoch_seconds)}', 1, 1, force=True)
        self.line.end()
        if self.line.mode == 'notebook':
            self._draw_curves(final=epoch + 1 == self.last_epoch)
        self._new_epoch()

    def _draw_curves(self, final):
        """Redraw the curves in place (an SVG: about a millisecond), at most every REDRAW_EVERY s."""
        now = time.perf_counter()
        if not final and now - self.figure_time < REDRAW_EVERY:
            return
        from IPython.display import display
        import svg_curves
        figure = {'image/svg+xml': svg_curves.train_val_svg(self.curves, self.short),
                  'text/plain': self._curves_text()}
        if self.figure_handle is None:
            self.figure_handle = display(figure, raw=True, display_id=True)
        else:
            self.figure_handle.update(figure, raw=True)
        self.figure_time = now

    def _curves_text(self):
        """The curves' plain-text stand-in (a notebook viewed without SVG): each curve's epochs."""
        return '\n'.join(f"{key.replace('val_', 'validation ').replace('_', ' ')} by epoch: "
                          + ', '.join(f'{value:.4f}' for value in values) for key, values in self.curves.items())

    def stop(self, reason):
        self.line.end()
        super().stop(reason)


def bar(done, total, width=BAR_WIDTH):
    """'[#####-----]': done of total as a text bar."""
    filled = int(width * done / max(total, 1))
    return '[' + '#' * filled + '-' * (width - filled) + ']'


class StatusLine:
    """A line of text with a progress bar, kept current where it is shown.

    mode 'terminal' (the stream is a TTY): the line is rewritten in place with '\\r';
    'notebook' (a Jupyter kernel): an HTML <progress> bar with the text, updated through a
    display handle; 'lines' (a pipe, CI, a file): only forced updates are written, one line each.
    """

    def __init__(self, stream=None, mode=None):
        self._stream, self.mode = stream, mode or self._mode(stream)
        self.last, self.width, self.handle = -float('inf'), 0, None

    @staticmethod
    def _mode(stream):
        if in_notebook():
            return 'notebook'
        isatty = getattr(stream or sys.stdout, 'isatty', None)
        return 'terminal' if isatty is not None and isatty() else 'lines'

    @property
    def stream(self):
        return self._stream or sys.stdout

    def due(self):
        """True when REDRAW_EVERY seconds have passed since the last redraw (never in 'lines')."""
        return self.mode != 'lines' and time.perf_counter() - self.last >= REDRAW_EVERY

    def show(self, text, done, total, force=False):
        """Make `text` (done of total finished) the current line; throttled unless force."""
        if not force and not self.due():
            return
        self.last = time.perf_counter()
        if self.mode == 'lines':
            print(text, file=self.stream, flush=True)
        elif self.mode == 'terminal':
            self.stream.write('\r' + text.ljust(self.width))
            self.stream.flush()
            self.width = len(text)
        else:
            self._show_html(text, done, total)

    def _show_html(self, text, done, total):
        """One <progress> bar and the text beside it, on one line that does not wrap (the text is
        cut at the output's edge rather than pushed below the bar); the text alone where HTML is
        not shown (text/plain)."""
        from html import escape
        from IPython.display import display
        html = {'text/html': f'<div style="display: flex; align-items: center; gap: 8px; white-space: nowrap; '
                             f'overflow: hidden"><progress value="{done}" max="{total}" style="width: 160px; '
                             f'flex: none"></progress><code style="font-size: 12px">{escape(text)}</code></div>',
                'text/plain': text}
        if self.handle is None:
            self.handle = display(html, raw=True, display_id=True)
        else:
            self.handle.update(html, raw=True)

    def end(self):
        """Keep the current line: the next show() starts a new one (in Jupyter the one bar stays
        and is updated in place)."""
        if self.mode == 'terminal' and self.width:
            self.stream.write('\n')
            self.stream.flush()
        self.width, self.last = 0, -float('inf')

    def say(self, text):
        """A permanent line of text, below the current one."""
        self.end()
        print(text, file=self.stream, flush=True)
