"""A hand-in's code as the rules read it: parsed with `ast`, never run.

Every place code sits in a hand-in comes out as a `Source`: a .py file (`cell` 0) or one code cell
of a notebook (`cell` its 1-based position among all the notebook's cells, markdown included, as
a reader counts them from the top). IPython lines a cell may hold (`%time`, `%%capture`, `!pip install`,
`x?`) are not Python: each becomes `pass` at its indentation before parsing, so line numbers stay
those of the cell. A source that still does not parse (a student's syntax error) is parsed line by
line, so a stray `import torch` is seen even in a file Python cannot read.
"""
import ast
import json
from collections import namedtuple

import nbformat

# path: in the hand-in; cell: 0 for a .py file, else the notebook cell's number; text: the code
Source = namedtuple('Source', 'path cell text')


class NotebookError(ValueError):
    """The bytes are not a notebook: not JSON, or not nbformat's layout."""


def read_notebook(data):
    """The notebook (nbformat 4, a NotebookNode) in `data` (bytes or str); NotebookError saying why not."""
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError) as error:   # RecursionError: nested past the parser's depth
        raise NotebookError(f'not JSON ({type(error).__name__}: {str(error)[:100]})') from None
    if not isinstance(raw, dict) or not isinstance(raw.get('nbformat'), int):
        raise NotebookError('JSON, but not a notebook (no nbformat version)')
    try:
        notebook = nbformat.from_dict(raw)
        notebook = notebook if raw['nbformat'] == 4 else nbformat.convert(notebook, 4)
    except Exception as error:   # nbformat's converters raise many kinds on a malformed layout
        raise NotebookError(f'not a notebook nbformat can read ({type(error).__name__}: {error})') from None
    cells = notebook.get('cells')
    if not isinstance(cells, list):
        raise NotebookError('a notebook without a list of cells')
    for number, cell in enumerate(cells, 1):
        problem = _cell_problem(cell)
        if problem:
            raise NotebookError(f'a notebook whose cell {number} {problem}')
    return notebook


def _cell_problem(cell):
    """What is wrong with the layout of one cell that the rules read, or '' (nbformat 4's schema, as far
    as the rules rely on it: source text, outputs a list of objects, an execution count a number)."""
    if not isinstance(cell, dict) or not isinstance(cell.get('cell_type'), str):
        return 'is not a cell (no cell_type)'
    source = cell.get('source', '')
    if not (isinstance(source, str) or isinstance(source, list) and all(isinstance(s, str) for s in source)):
        return 'has a source that is not text'
    if cell['cell_type'] != 'code':
        return ''
    count, outputs = cell.get('execution_count'), cell.get('outputs', [])
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
        return f'has an execution count that is not a number ({str(count)[:20]!r})'
    if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
        return 'has outputs that are not a list of objects'
    return ''


def cell_text(cell):
    """A cell's source as one string (nbformat keeps a string or a list of lines)."""
    source = cell.get('source', '')
    return ''.join(source) if isinstance(source, list) else str(source)


def code_cells(notebook):
    """[(cell number (1-based among all cells), cell)] of the notebook's code cells."""
    return [(number, cell) for number, cell in enumerate(notebook['cells'], 1) if cell.get('cell_type') == 'code']


def handin_sources(intake):
    """Every Source of the hand-in: its case files, its other .py files, and the code cells of its
    notebooks (the case's and the others; a notebook that cannot be read gives none)."""
    sources = [Source(intake.found_at.get(name, name), 0, _text(data)) for name, data in intake.files.items()]
    notebooks = dict(intake.sources)
    if intake.notebook_bytes is not None:
        notebooks[intake.notebook] = intake.notebook_bytes
    for path, data in sorted(notebooks.items()):
        if not path.endswith('.ipynb'):
            sources.append(Source(path, 0, _text(data)))
            continue
        try:
            notebook = read_notebook(data)
        except NotebookError:
            continue
        sources += [Source(path, number, cell_text(cell)) for number, cell in code_cells(notebook)]
    return sources


def _text(data):
    return data.decode('utf-8', errors='replace')


def without_magics(text):
    """The cell's text with each IPython line (`%...`, `!...`, `...?`) turned into `pass`."""
    lines = text.split('\n')
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(('%', '!')) or (stripped.endswith('?') and not stripped.startswith('#')):
            lines[i] = line[:len(line) - len(line.lstrip())] + 'pass'
    return '\n'.join(lines)


def parse_python(text):
    """The module's ast, or None when Python cannot parse it: a syntax error, a NUL byte, or code nested
    or chained past the parser's depth or memory (a hostile file's RecursionError or MemoryError)."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def parse(source):
    """[(tree, line offset)] of the source: one tree, or one per line that parses alone when the whole
    does not. A tree's node.lineno + offset is the line in the file or cell."""
    text = without_magics(source.text) if source.cell else source.text
    tree = parse_python(text)
    if tree is not None:
        return [(tree, 0)]
    trees = [(parse_python(line.strip()), number) for number, line in enumerate(text.split('\n'))]
    return [(tree, number) for tree, number in trees if tree is not None]


def where(source, line):
    """(file, line, prefix) of a Finding at `line` of the source: a .py file's line, or for a notebook
    the cell's number as the line and 'cell 4, line 2: ' in front of the detail."""
    if source.cell:
        return source.path, source.cell, f'cell {source.cell}, line {line}: '
    return source.path, line, ''


def code_line(source, line):
    """The text of the source's 1-based `line`, stripped, at most 100 characters."""
    lines = source.text.split('\n')
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ''
    return text if len(text) <= 100 else text[:97] + '...'
