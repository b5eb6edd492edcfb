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


@pytest.mark.slow
def test_mlp_notebook_reaches_the_case2_accuracies():
    notebook = execute('mlp.ipynb')
    text = ''.join(outputs(notebook, 'text'))
    table = dict(re.findall(r'^\| (.+?) \| (\d\.\d+) \|$', text, flags=re.M))
    accuracy = {name: float(value) for name, value in table.items()}
    assert accuracy['Softmax-CE + ReLU'] >= 0.980
    assert accuracy['Softmax-CE + ReLU, 784-512-256-10'] >= 0.983
    assert accuracy['Euclidean + ReLU'] >= 0.96
    assert accuracy['Softmax-CE + Sigmoid'] >= 0.93 and accuracy['Euclidean + Sigmoid'] >= 0.93
    # the course's section: its own cells, only the TensorFlow data cells replaced by load_mnist()
    assert accuracy['course: Softmax-CE + ReLU'] >= 0.95 and accuracy['course: Euclidean + ReLU'] >= 0.94
    assert accuracy['course: Softmax-CE + Sigmoid'] >= 0.89 and accuracy['course: Euclidean + Sigmoid'] >= 0.87
    assert len(list(outputs(notebook, 'image/png'))) >= 6
