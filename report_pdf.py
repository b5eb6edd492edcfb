"""A4 pages for report.pdf: headings, paragraphs, tables sized to the page, figures with captions.

`Document` flows its content down portrait A4 pages (matplotlib Figures, no pyplot) and starts a
new page when the next block does not fit; `finish()` numbers the pages. A figure from
visualize.py is drawn onto the page as an image of at least FIGURE_DPI pixels per inch as printed,
scaled to the text width, so every page has the same size and margins whatever the figure's own
size. The image is embedded as rendered (interpolation 'none'): resampled, the PDF backend would
store it at the page's own 100 dpi.
"""
import io
import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread

PAGE_WIDTH, PAGE_HEIGHT = 8.27, 11.69   # A4, inches
MARGIN = 0.75
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
CHAR_WIDTH = 0.54   # mean width of a character of running text, in ems (DejaVu Sans)
LINE_SPACING = 1.45
FIGURE_DPI = 200   # pixels per inch of a figure as printed, at least
MAX_FIGURE_HEIGHT = 4.2   # inches: two figures and their captions fit on a page
MIN_SHRINK = 0.6   # a figure that fits the rest of a page at this fraction of its size is shrunk, not moved
MAX_DRAWN_WIDTH = 10   # inches: a wider figure is laid out again at this width (its fonts shrink less)


def _points(inches):
    return inches * 72


class Document:
    """Content flowed down A4 pages; `pages` holds one Figure per page."""

    def __init__(self):
        self.pages = []
        self._new_page()

    def _new_page(self):
        self.pages.append(Figure(figsize=(PAGE_WIDTH, PAGE_HEIGHT)))
        self.y = PAGE_HEIGHT - MARGIN   # the top of the free space, inches from the bottom

    def _room(self, height):
        """Start a new page unless `height` inches fit above the bottom margin."""
        if self.y - height < MARGIN + 0.2 and self.y < PAGE_HEIGHT - MARGIN:
            self._new_page()

    def _text(self, x, y, text, size, **style):
        self.pages[-1].text(x / PAGE_WIDTH, y / PAGE_HEIGHT, text, fontsize=size, va='top', **style)

    def new_page(self):
        if self.y < PAGE_HEIGHT - MARGIN:
            self._new_page()

    def heading(self, text, size=14):
        """A heading, kept on the same page as at least three lines below it."""
        self._room(_points_to_inches(size * LINE_SPACING) + 0.8)
        for line in wrap(text, size):
            self._text(MARGIN, self.y, line, size, fontweight='bold')
            self.y -= _points_to_inches(size * LINE_SPACING)
        self.y -= 0.08

    def paragraph(self, text, size=10, **style):
        """Wrapped text; a long paragraph continues on the next page."""
        for line in wrap(text, size):
            self._room(_points_to_inches(size * LINE_SPACING))
            self._text(MARGIN, self.y, line, size, **style)
            self.y -= _points_to_inches(size * LINE_SPACING)
        self.y -= 0.12

    def table(self, columns, rows, max_size=9):
        """A table as wide as the text at most: the font shrinks (to 5.5 pt at least) until the
        widest cell of every column fits; headers wrap onto two lines."""
        headers = [textwrap.fill(c, 14) if len(c) > 14 else c for c in columns]
        chars = [max([len(line) for line in h.split('\n')] + [len(str(r[i])) for r in rows])
                 for i, h in enumerate(headers)]
        size = max(5.5, min(max_size, _points(TEXT_WIDTH) / (sum(chars) * 0.6 + 1.2 * len(chars))))
        widths = np.array([n * 0.6 * size + 1.2 * size for n in chars]) / 72
        row_height = _points_to_inches(size * 2.1)
        height = row_height * (len(rows) + 2)
        self._room(height)
        page, width = self.pages[-1], min(widths.sum(), TEXT_WIDTH)
        ax = page.add_axes([MARGIN / PAGE_WIDTH, (self.y - height) / PAGE_HEIGHT,
                            width / PAGE_WIDTH, height / PAGE_HEIGHT])
        ax.axis('off')
        table = ax.table(cellText=[[str(c) for c in r] for r in rows] or None, colLabels=headers,
                         colWidths=list(widths / widths.sum()), cellLoc='left', bbox=[0, 0, 1, 1])
        table.auto_set_font_size(False)
        table.set_fontsize(size)
        for (row, _), cell in table.get_celld().items():
            cell.set_height(2 / (len(rows) + 2) if row == 0 else 1 / (len(rows) + 2))
            if row == 0:
                cell.set_text_props(fontweight='bold')
        self.y -= height + 0.2

    def figure(self, figure, caption):
        """A figure scaled to the text width (at most MAX_FIGURE_HEIGHT tall), its caption below."""
        width, height = figure.get_size_inches()
        width, height = min(width, MAX_DRAWN_WIDTH), min(height, 6.0)
        figure.set_size_inches(width, height)
        scale = min(TEXT_WIDTH / width, MAX_FIGURE_HEIGHT / height)
        caption_height = _points_to_inches(9 * LINE_SPACING) * len(wrap(caption, 9)) + 0.1
        free = self.y - MARGIN - 0.2 - caption_height
        if MIN_SHRINK * height * scale <= free < height * scale:   # fill the page rather than leave it
            scale = free / height
        buffer = io.BytesIO()
        figure.savefig(buffer, format='png', dpi=FIGURE_DPI * max(1.0, scale))
        image = imread(io.BytesIO(buffer.getvalue()))
        width, height = width * scale, height * scale
        self._room(height + caption_height)
        left = MARGIN + (TEXT_WIDTH - width) / 2
        ax = self.pages[-1].add_axes([left / PAGE_WIDTH, (self.y - height) / PAGE_HEIGHT,
                                      width / PAGE_WIDTH, height / PAGE_HEIGHT])
        ax.imshow(image, interpolation='none')
        ax.axis('off')
        self.y -= height + 0.1
        self.paragraph(caption, size=9, style='italic')
        self.y -= 0.1

    def finish(self, footer=''):
        """Number every page 'footer — page i of n' at the bottom; returns the pages."""
        for i, page in enumerate(self.pages, 1):
            text = f'{footer} — page {i} of {len(self.pages)}' if footer else f'page {i} of {len(self.pages)}'
            page.text(0.5, (MARGIN / 2) / PAGE_HEIGHT, text, fontsize=8, ha='center', va='center', color='0.35')
        return self.pages


def _points_to_inches(points):
    return points / 72


def wrap(text, size):
    """Lines of `text` that fit the text width at `size` points."""
    width = max(20, int(_points(TEXT_WIDTH) / (CHAR_WIDTH * size)))
    return textwrap.wrap(text, width, break_on_hyphens=False) or ['']
