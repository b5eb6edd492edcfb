"""The rule "hand in the case's notebook with its results": found, readable, run top to bottom, no error.

Read from the notebook's JSON, never run (`--rerun-notebooks` runs it in the sandbox). A notebook run
with "Restart & Run All" numbers its code cells 1, 2, 3, … in order; a cell run again, a cell skipped
or run out of order breaks that sequence, and its results need not come from the code above them.
Blank code cells are passed over (Jupyter does not run them). `notebook_accuracies` reads every test
accuracy the cells printed, for grades.csv and for the rerun's comparison.
"""
import re

from teacher.findings import Finding
from teacher.rules.source import NotebookError, code_cells, cell_text, read_notebook

# "Final test accuracy 0.9217" (runner.ipynb), "The test accuracy is 0.9546." (the course's test()),
# "Test accuracy after 2 epochs: 0.9892" (convnet.ipynb), "test accuracy 0.9843", "test acc 0.9790"
# (mlp.ipynb), "Test loss 0.2801	 Test accuracy 0.9217" (python solver.py), and the Chinese the
# course speaks; the first accuracy-like number (0.xx, 1.0, or a percentage) after the words, on the
# same line, within ACCURACY_REACH characters. The live view prints no test accuracy: it trains.
ACCURACY_WORDS = re.compile(r'\btest(?:ing)?[ _-]?acc(?:uracy)?\b|测试(?:集)?(?:上的?)?(?:准确率|正确率|精度|准确度)',
                            re.IGNORECASE)
ACCURACY_NUMBER = re.compile(r'(?<![\w.])(\d+(?:\.\d+)?)(\s*%)?')
ACCURACY_REACH = 60


def check_notebook(intake):
    """[Finding('notebook', ...)]: missing, unreadable, not-executed, out-of-order, error."""
    wanted = intake.notebook_wanted
    if not intake.notebook:
        return [Finding('notebook', 'missing', '', 0, f'{intake.notebook_note or "no " + wanted}: the '
                        f'assignment asks for {wanted} with its results')]
    path = intake.notebook
    if intake.notebook_bytes is None:
        return [Finding('notebook', 'unreadable', path, 0, f'{intake.notebook_note}: it could not be checked')]
    try:
        notebook = read_notebook(intake.notebook_bytes)
    except NotebookError as error:
        return [Finding('notebook', 'unreadable', path, 0, f'{path} is {error}: Jupyter cannot open it')]
    cells = [(number, cell) for number, cell in code_cells(notebook) if cell_text(cell).strip()]
    counts = [cell.get('execution_count') for _, cell in cells]
    if cells and not any(counts):
        return [Finding('notebook', 'not-executed', path, 0, f'none of its {len(cells)} code cells has run: '
                        'the assignment asks for the notebook with its results')]
    return _order(path, cells) + _errors(path, cells)


def _order(path, cells):
    """The out-of-order finding at the first code cell whose execution count is not the next of 1, 2, 3, …"""
    for expected, (number, cell) in enumerate(cells, 1):
        count = cell.get('execution_count')
        if count != expected:
            what = (f'was never run (cells before it ran as In [1] to In [{expected - 1}])' if count is None else
                    f'ran as In [{count}] where a run from the top gives In [{expected}]')
            return [Finding('notebook', 'out-of-order', path, number,
                            f'cell {number} {what}: cells were skipped, run again or run out of order; '
                            'run it again with Restart & Run All')]
    return []


def _errors(path, cells):
    """The error finding naming the last cell whose outputs hold an error, with how many did."""
    failed = [(number, output) for number, cell in cells for output in cell.get('outputs', [])
              if isinstance(output, dict) and output.get('output_type') == 'error']
    if not failed:
        return []
    number, output = failed[-1]
    cells_failed = len({n for n, _ in failed})
    more = f' ({cells_failed} cells ended in an error)' if cells_failed > 1 else ''
    message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip().rstrip(':')
    return [Finding('notebook', 'error', path, number, f'cell {number} ended in an error, {message[:200]}{more}')]


def notebook_accuracies(notebook):
    """[float] of every test accuracy the notebook's cells printed, in order (see ACCURACY_WORDS).

    notebook: a parsed notebook (read_notebook(bytes), or nbclient's); reads the text of the stream
    outputs and the text/plain of results and displays."""
    found = []
    for _, cell in code_cells(notebook):
        for output in cell.get('outputs', []):
            for line in _output_text(output).split('\n'):
                found += [value for value in map(_accuracy_after, _ends(line)) if value is not None]
    return found


def _ends(line):
    """The text after each mention of the test accuracy in the line, up to ACCURACY_REACH characters."""
    return [line[match.end():match.end() + ACCURACY_REACH] for match in ACCURACY_WORDS.finditer(line)]


def _accuracy_after(text):
    """The first number in `text` that reads as an accuracy: in [0, 1], or a percentage; else None."""
    for match in ACCURACY_NUMBER.finditer(text):
        value = float(match.group(1))
        if match.group(2):
            return value / 100 if value <= 100 else None
        if '.' in match.group(1) and value <= 1:
            return value
    return None


def _output_text(output):
    if not isinstance(output, dict):
        return ''
    text = output.get('text', '') if output.get('output_type') == 'stream' else \
        output.get('data', {}).get('text/plain', '') if isinstance(output.get('data'), dict) else ''
    return ''.join(t for t in text if isinstance(t, str)) if isinstance(text, list) else str(text)
