"""The course's notebooks run end to end from the repository root, as students run them."""
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = os.path.join(os.path.dirname(__file__), '..')


def execute(name):
    notebook = nbformat.read(os.path.join(ROOT, name), as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name='python3',
                   resources={'metadata': {'path': ROOT}}).execute()
    return notebook


def outputs(notebook, kind):
    for cell in notebook.cells:
        for output in cell.get('outputs', []):
            if kind == 'text' and output.get('name') == 'stdout':
                yield output['text']
            elif kind in output.get('data', {}):
                yield output['data'][kind]


def test_runner_notebook_reaches_the_course_accuracies():
    notebook = execute('runner.ipynb')
    text = ''.join(outputs(notebook, 'text'))
    accuracies = [float(a) for a in re.findall(r'Final test accuracy (\d\.\d+)', text)]
    assert len(accuracies) >= 2
    assert accuracies[0] >= 0.895   # momentum 0
    assert accuracies[1] >= 0.918   # momentum 0.9
    assert len(list(outputs(notebook, 'image/png'))) >= 1   # the curves are drawn
    report = ''.join(outputs(notebook, 'text/markdown'))   # the report's section on the sweep run above
    assert '| α = 0.1 |' in report and not re.search(r'^# ', report, flags=re.M)   # no mid-notebook title
    assert '± 0.0000' not in report and 'Figure' not in report   # one seed: no spread; no caption without figure


@pytest.mark.slow
def test_mlp_notebook_reaches_the_case2_accuracies():
    notebook = execute('mlp.ipynb')
    rows = table_rows('\n'.join(outputs(notebook, 'text/markdown')))   # shown as tables, not printed
    accuracy = {name: float(cells[0]) for name, cells in rows.items() if name not in ('network', 'course network '
                                                                                      '(5 epochs, SGD(0.1, 1e-4))')}
    assert accuracy['Softmax-CE + ReLU'] >= 0.980
    assert accuracy['Softmax-CE + ReLU, 784-512-256-10'] >= 0.983
    assert accuracy['Euclidean + ReLU'] >= 0.96
    assert accuracy['Softmax-CE + Sigmoid'] >= 0.93 and accuracy['Euclidean + Sigmoid'] >= 0.93
    # the course's section: its own cells, only the TensorFlow data cells replaced by load_mnist()
    assert accuracy['course: Softmax-CE + ReLU'] >= 0.95 and accuracy['course: Euclidean + ReLU'] >= 0.94
    assert accuracy['course: Softmax-CE + Sigmoid'] >= 0.89 and accuracy['course: Euclidean + Sigmoid'] >= 0.87
    assert len(list(outputs(notebook, 'image/png'))) >= 6


def table_rows(text):
    """{first cell: [other cells]} of every row of the Markdown tables in the notebook's outputs."""
    return {cells[0]: cells[1:] for cells in (
        [c.strip() for c in line.strip('|').split('|')] for line in text.splitlines()
        if line.startswith('| ') and not line.startswith('|---'))}


@pytest.mark.slow
def test_tricks_notebook_shows_what_each_trick_does():
    notebook = execute('tricks.ipynb')
    text = ''.join(outputs(notebook, 'text'))
    rows = table_rows('\n'.join(outputs(notebook, 'text/markdown')))
    assert '|---' not in text   # tables are shown as tables, not printed
    assert not [t for t in outputs(notebook, 'text/plain') if 'IPython.core.display' in t]   # live view readable as text
    # optimizers: plain SGD trails every other rule after 6 epochs (validation accuracy, last column)
    final = {rule: float(rows[rule][-1]) for rule in
             ('SGD', 'momentum 0.9', 'Nesterov 0.9', 'AdaGrad', 'RMSProp', 'Adam')}
    assert all(final[rule] >= final['SGD'] + 0.02 for rule in final if rule != 'SGD'), final
    # dropout: without it the 2,000 training images are fitted exactly; with it the validation loss ends lower
    plain, dropout = rows['no dropout'], rows['dropout 0.5']
    assert float(plain[0]) == 1.0 and float(plain[3]) < float(dropout[3])
    assert float(dropout[-1]) < float(plain[-1])
    # batch norm: the deep sigmoid network stays at chance without it and trains with it
    assert float(rows['7 sigmoid layers'][1]) < 0.2
    assert float(rows['7 sigmoid layers + batch norm'][1]) > 0.85
    # ... and tolerates learning rates that ruin or diverge the network without it
    assert rows['2'][0] == 'diverged' and float(rows['2'][1]) > 0.5
    assert float(rows['1'][0]) < 0.2 and float(rows['1'][1]) > 0.9
    # early stopping: stops 3 epochs after the best one, whose weights validate to the best accuracy again
    stopped = next(key for key in rows if key.isdigit() and len(rows[key]) == 4)
    best, best_acc, restored_acc, test_acc = (float(c) for c in rows[stopped])
    stopped = int(stopped)
    assert stopped == best + 3 and restored_acc == best_acc and test_acc > 0.9
    assert "Its validation curve is section 2's up to the stop: True" in text
    assert len(list(outputs(notebook, 'image/png'))) >= 7


def test_convnet_notebook_trains_and_shows_curves_filters_and_errors(monkeypatch):
    """On 6,000 training images for one epoch (CONVNET_NOTEBOOK_QUICK): only a working ConvNet gets
    past 90% on the 10,000 test images; the committed notebook shows the full run."""
    monkeypatch.setenv('CONVNET_NOTEBOOK_QUICK', '1')
    notebook = execute('convnet.ipynb')
    text = ''.join(outputs(notebook, 'text'))
    accuracy = float(re.search(r'Test accuracy after 1 epoch: (\d\.\d+)', text).group(1))
    assert accuracy >= 0.90, text[-500:]
    assert re.search(r'\d+ of 10000 test digits misclassified', text)
    assert len(list(outputs(notebook, 'image/png'))) >= 3   # curves, filters, misclassified digits
