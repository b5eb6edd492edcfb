"""The assignment's rules on planted hand-ins: a complete one gives no finding, and each planted break gives
its finding and no other (every hand-in built inside tmp_path from the teacher's own files)."""
import ast
import json
import os
import shutil

import pytest

from teacher.findings import Finding
from teacher.handout import ROOT, case_files
from teacher.intake import read_submission
from teacher.rules import case_notebook, check_handin
from teacher.rules.framework import check_framework


@pytest.fixture
def complete(tmp_path, report_pdf):
    """A function giving a complete hand-in of a case in tmp_path/<name>: the teacher's case files, the
    committed notebook (run in order, its results in it) and a PDF report with every part."""
    def make(name='alice', case=1):
        folder = tmp_path / name
        folder.mkdir()
        for file in case_files(case):
            shutil.copyfile(os.path.join(ROOT, file), folder / file)
        shutil.copyfile(os.path.join(ROOT, case_notebook(case)), folder / case_notebook(case))
        report_pdf(folder / 'report.pdf')
        return folder
    return make


def findings_of(folder, case=1):
    intake = read_submission(str(folder), case_files(case), notebook=case_notebook(case))
    return check_handin(intake, case)


def edit_notebook(path, change):
    """Rewrite the notebook at `path` after change(notebook) edits its JSON."""
    notebook = json.loads(path.read_text())
    change(notebook)
    path.write_text(json.dumps(notebook))


def code_cell(notebook, index):
    return [cell for cell in notebook['cells'] if cell['cell_type'] == 'code'][index]


@pytest.mark.parametrize('case', [1, 2, 3])
def test_a_complete_hand_in_keeps_every_rule(complete, case):
    assert findings_of(complete(case=case), case) == []


# ---------------------------------------------------------------- framework

def test_import_torch_in_a_case_file_is_found_with_its_line(complete):
    folder = complete()
    text = (folder / 'criterion.py').read_text()
    (folder / 'criterion.py').write_text(text.replace('import numpy as np\n', 'import numpy as np\nimport torch\n', 1))
    line = text.split('\n').index('import numpy as np') + 2
    assert findings_of(folder) == [Finding('framework', 'import', 'criterion.py', line,
                                           '`import torch` imports PyTorch: the assignment allows no deep-learning '
                                           'framework')]


def test_from_tensorflow_import_keras_in_a_notebook_cell_is_found_with_its_cell(complete):
    folder = complete()

    def plant(notebook):
        cell = code_cell(notebook, 1)
        cell['source'] = '%matplotlib inline\nfrom tensorflow import keras\n' + ''.join(cell['source'])
    edit_notebook(folder / 'runner.ipynb', plant)
    notebook = json.loads((folder / 'runner.ipynb').read_text())
    number = notebook['cells'].index(code_cell(notebook, 1)) + 1
    assert findings_of(folder) == [Finding('framework', 'import', 'runner.ipynb', number,
                                           f'cell {number}, line 2: `from tensorflow import keras` imports '
                                           'TensorFlow: the assignment allows no deep-learning framework')]


@pytest.mark.parametrize('code, framework', [
    ('import torch.nn as nn', 'PyTorch'), ('from torch import nn', 'PyTorch'), ('import keras', 'Keras'),
    ("m = __import__('torch')", 'PyTorch'), ("import importlib\nm = importlib.import_module('jax.numpy')", 'JAX'),
    ('from sklearn.neural_network import MLPClassifier', "scikit-learn's neural networks"),
    ('from sklearn import neural_network', "scikit-learn's neural networks"),
    ('import sklearn as sk\nm = sk.neural_network.MLPClassifier()', "scikit-learn's neural networks"),
    ('import paddle', 'PaddlePaddle'), ('import mxnet as mx', 'MXNet'),
    ('def f(:\n    pass\nimport torch', 'PyTorch'),   # a file Python cannot parse is read line by line
])
def test_each_way_of_importing_a_framework_is_found(tmp_path, code, framework):
    (tmp_path / 'h').mkdir()
    (tmp_path / 'h' / 'helpers.py').write_text(code + '\n')
    found = check_framework(read_submission(str(tmp_path / 'h'), []))
    assert [(f.file, f.line) for f in found] == [('helpers.py', len(code.split('\n')))]
    assert f'imports {framework}:' in found[0].detail


@pytest.mark.parametrize('code', ['import sklearn.metrics', 'from sklearn import datasets',
                                  'self.neural_network = None', "name = 'torch'", '# import torch',
                                  'from .torch import x'])
def test_what_is_not_a_framework_import_is_not_reported(tmp_path, code):
    (tmp_path / 'h').mkdir()
    (tmp_path / 'h' / 'helpers.py').write_text(code + '\n')
    assert check_framework(read_submission(str(tmp_path / 'h'), [])) == []


# ---------------------------------------------------------------- data

def test_a_data_folder_is_reported(complete):
    folder = complete()
    shutil.copytree(os.path.join(ROOT, 'data'), folder / 'data')
    assert findings_of(folder) == [Finding('data', 'data-set', 'data/', 0, 'data/ is a data folder: the hand-in holds '
                                           'no data set (the MNIST files come with the release)')]
