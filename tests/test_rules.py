"""The assignment's rules on planted hand-ins: a complete one gives no finding, and each planted break gives
its finding and no other (every hand-in built inside tmp_path from the teacher's own files; tests/rules_handins.py
plants them). The PDF report's rule: tests/test_rules_report.py."""
import ast
import json
import os
import shutil

import pytest

from rules_handins import complete, findings_of, report_pdf  # noqa: F401  (fixtures: complete asks for report_pdf)
from teacher.findings import Finding
from teacher.handout import ROOT, case_files
from teacher.intake import read_submission
from teacher.rules import case_notebook, check_handin, notebook_accuracies, read_notebook, vectorized
from teacher.rules.framework import check_framework


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

FRAMEWORK_IMPORTS = [('import torch', 'PyTorch'), ('from tensorflow import keras', 'TensorFlow')]


@pytest.mark.parametrize('statement, framework', FRAMEWORK_IMPORTS)
def test_a_framework_import_in_a_case_file_is_found_with_its_line(complete, statement, framework):
    folder = complete()
    text = (folder / 'criterion.py').read_text()
    (folder / 'criterion.py').write_text(text.replace('import numpy as np\n', f'import numpy as np\n{statement}\n', 1))
    line = text.split('\n').index('import numpy as np') + 2
    assert findings_of(folder) == [Finding('framework', 'import', 'criterion.py', line,
                                           f'`{statement}` imports {framework}: the assignment allows no deep-learning '
                                           'framework')]


@pytest.mark.parametrize('statement, framework', FRAMEWORK_IMPORTS)
def test_a_framework_import_in_a_notebook_cell_is_found_with_its_cell(complete, statement, framework):
    folder = complete()

    def plant(notebook):
        cell = code_cell(notebook, 1)
        cell['source'] = f'%matplotlib inline\n{statement}\n' + ''.join(cell['source'])
    edit_notebook(folder / 'runner.ipynb', plant)
    notebook = json.loads((folder / 'runner.ipynb').read_text())
    number = notebook['cells'].index(code_cell(notebook, 1)) + 1
    assert findings_of(folder) == [Finding('framework', 'import', 'runner.ipynb', number,
                                           f'cell {number}, line 2: `{statement}` imports {framework}: the '
                                           'assignment allows no deep-learning framework')]


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
    assert findings_of(folder) == [Finding('data', 'data-set', 'data/', 0, 'data/ is a data folder: the assignment asks '
                                           'for no data set in the hand-in (the MNIST files come with the release)')]


# ---------------------------------------------------------------- notebook

def test_a_hand_in_without_its_notebook_is_reported(complete):
    folder = complete()
    (folder / 'runner.ipynb').unlink()
    assert findings_of(folder) == [Finding('notebook', 'missing', '', 0, 'no runner.ipynb in the hand-in: the '
                                           'assignment asks for runner.ipynb with its results')]


def test_a_notebook_never_run_is_reported(complete):
    folder = complete()

    def clear(notebook):
        for cell in notebook['cells']:
            if cell['cell_type'] == 'code':
                cell['execution_count'], cell['outputs'] = None, []
    edit_notebook(folder / 'runner.ipynb', clear)
    assert [(f.rule, f.finding, f.file) for f in findings_of(folder)] == [('notebook', 'not-executed', 'runner.ipynb')]


@pytest.mark.parametrize('change, cell, words', [
    (lambda cells: cells[3].update(execution_count=12), 3, 'ran as In [12] where a run from the top gives In [4]'),
    (lambda cells: cells[5].update(execution_count=None, outputs=[]), 5, 'was never run (cells before it ran as In [1] '
                                                                         'to In [5])'),
    (lambda cells: [c.update(execution_count=c['execution_count'] + 1) for c in cells[2:]], 2,
     'ran as In [4] where a run from the top gives In [3]'),   # a cell run twice
])
def test_a_notebook_run_out_of_order_is_reported_at_the_first_cell_out_of_turn(complete, change, cell, words):
    folder = complete()
    edit_notebook(folder / 'runner.ipynb', lambda notebook: change(
        [c for c in notebook['cells'] if c['cell_type'] == 'code']))
    notebook = json.loads((folder / 'runner.ipynb').read_text())
    number = notebook['cells'].index(code_cell(notebook, cell)) + 1
    found = findings_of(folder)
    assert [(f.rule, f.finding, f.file, f.line) for f in found] == [
        ('notebook', 'out-of-order', 'runner.ipynb', number)]
    assert found[0].detail.startswith(f'cell {number} {words}: ')


def test_a_notebook_ending_in_an_error_names_the_cell(complete):
    folder = complete()
    error = {'output_type': 'error', 'ename': 'NotImplementedError', 'traceback': ['...'],
             'evalue': 'criterion.py: TODO SoftmaxCrossEntropyLossLayer.forward — not implemented yet'}
    earlier = {'output_type': 'error', 'ename': 'NameError', 'evalue': "name 'np' is not defined", 'traceback': []}
    edit_notebook(folder / 'runner.ipynb', lambda notebook: (code_cell(notebook, 2)['outputs'].append(earlier),
                                                             code_cell(notebook, -1)['outputs'].append(error)))
    notebook = json.loads((folder / 'runner.ipynb').read_text())
    number = notebook['cells'].index(code_cell(notebook, -1)) + 1
    assert findings_of(folder) == [Finding('notebook', 'error', 'runner.ipynb', number, (
        f'cell {number} ended in an error, NotImplementedError: criterion.py: TODO '
        'SoftmaxCrossEntropyLossLayer.forward — not implemented yet (2 cells ended in an error)'))]


def test_a_notebook_that_is_not_json_is_unreadable(complete):
    folder = complete()
    (folder / 'runner.ipynb').write_text('{"cells": [')
    found = findings_of(folder)
    assert [(f.rule, f.finding, f.file) for f in found] == [('notebook', 'unreadable', 'runner.ipynb')]
    assert found[0].detail.startswith('runner.ipynb is not JSON (')


def test_a_renamed_notebook_is_checked_as_the_case_s(complete):
    folder = complete()
    (folder / 'runner.ipynb').rename(folder / 'hw1_runner.ipynb')
    assert findings_of(folder) == []


def test_the_test_accuracies_printed_in_the_committed_notebooks_are_read():
    def accuracies(name):
        with open(os.path.join(ROOT, name), 'rb') as handle:
            return notebook_accuracies(read_notebook(handle.read()))
    assert accuracies('runner.ipynb') == [0.9032, 0.9217] and accuracies('convnet.ipynb') == [0.9889]
    assert accuracies('mlp.ipynb')[:4] == [0.907, 0.9546, 0.9182, 0.9618] and len(accuracies('mlp.ipynb')) == 13


@pytest.mark.parametrize('printed, values', [
    ('Final test accuracy 0.9217\n', [0.9217]), ('Test loss 0.2801\t Test accuracy 0.9217\n', [0.9217]),
    ('Test accuracy after 2 epochs: 0.9892 (test loss 0.0348)', [0.9892]), ('测试集准确率: 92.17%', [0.9217]),
    ('test_acc = 0.91, val acc 0.93', [0.91]), ('validation accuracy 0.93', []), ('test accuracy: n/a', []),
])
def test_accuracies_are_read_after_their_words(printed, values):
    notebook = {'cells': [{'cell_type': 'code', 'source': '', 'outputs': [
        {'output_type': 'stream', 'name': 'stdout', 'text': printed}]}]}
    assert notebook_accuracies(notebook) == pytest.approx(values)


# ---------------------------------------------------------------- vectorized

SOFTMAX_PARTS_BY_LOOP = '''
def softmax_parts(logit):
    s = np.empty_like(logit)
    for n in range(logit.shape[0]):
        s[n] = logit[n] - logit[n].max()
    y = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    return s, y, np.log(np.exp(s).sum(axis=1, keepdims=True))
'''


def replace_function(path, name, text):
    """Put `text` (a top-level def) in place of the function `name` of the module at `path`; the first
    line of the new function's loop (its number in the file)."""
    source = path.read_text()
    node = next(n for n in ast.parse(source).body if getattr(n, 'name', '') == name)
    lines = source.split('\n')
    lines[node.lineno - 1:node.end_lineno] = text.strip('\n').split('\n')
    path.write_text('\n'.join(lines))
    return node.lineno + text.strip('\n').split('\n').index('    for n in range(logit.shape[0]):')


def test_a_softmax_written_as_a_loop_over_the_batch_is_reported_with_its_line(complete):
    folder = complete()
    line = replace_function(folder / 'criterion.py', 'softmax_parts', SOFTMAX_PARTS_BY_LOOP)
    assert findings_of(folder) == [Finding('vectorized', 'loop', 'criterion.py', line, (
        'softmax_parts: a `for` loop over `range(logit.shape[0])`: the assignment asks for array operations over '
        'the batch and the features, not Python loops'))]


def test_a_conv_backward_looping_over_the_kernel_offsets_is_not_reported(complete):
    folder = complete(case=3)
    text = (folder / 'conv.py').read_text()
    assert 'for i in range(kh):' in text   # the teacher's own backward: one strided add per kernel offset
    variants = text.replace('for i in range(kh):', 'for i in range(self.W.shape[2]):').replace(
        'for j in range(kw):', 'for j in (0, 1, 2):')   # the course's 3x3 kernels
    (folder / 'conv.py').write_text(variants)
    assert findings_of(folder, 3) == []
    (folder / 'conv.py').write_text(text.replace('for i in range(kh):', 'for i in range(N):'))
    assert [(f.rule, f.file) for f in findings_of(folder, 3)] == [('vectorized', 'conv.py')]


@pytest.mark.parametrize('loop, reported', [
    ('for i in range(3): pass', False), ('for i, j in itertools.product(range(kh), range(kw)): pass', False),
    ('for o, part in self.offsets(x): pass', False), ('y = [k for k in (0, 1)]', False),
    ('for i in range(self.kernel_size * self.kernel_size): pass', False),
    ('for row in x: pass', True), ('for i in range(len(x)): pass', True), ('for i in range(100): pass', True),
    ('y = np.array([f(r) for r in x])', True), ('while i < n: i += 1', True), ('y = sum(v for v in x)', True),
    ('for i in range(x.shape[1]): pass', True), ('for f in range(F): pass', True),
])
def test_which_loops_are_over_the_batch_or_the_features(loop, reported):
    tree = ast.parse(f'def todo(self, x):\n    {loop}\n')
    assert bool(vectorized._loops(tree.body[0])) == reported


# ---------------------------------------------------------------- the contract

def test_a_finding_says_where_in_a_file_or_a_notebook_cell():
    assert Finding('framework', 'import', 'criterion.py', 3).where() == 'criterion.py line 3'
    assert Finding('framework', 'import', 'runner.ipynb', 4, 'cell 4, line 2: ...').where() == 'runner.ipynb cell 4'
    assert Finding('notebook', 'missing').where() == ''


def test_check_handin_refuses_an_intake_read_without_the_case_s_notebook(complete):
    with pytest.raises(ValueError, match="notebook='runner.ipynb'"):
        check_handin(read_submission(str(complete()), case_files(1)), 1)


def test_a_notebook_nested_past_the_parser_s_depth_is_unreadable_and_the_rest_is_taken(complete):
    folder = complete()
    (folder / 'runner.ipynb').write_text('{"cells": ' + '[' * 100_000 + ']' * 100_000 + '}')
    intake = read_submission(str(folder), case_files(1), notebook=case_notebook(1))
    assert intake.error == '' and sorted(intake.files) == sorted(case_files(1))
    found = check_handin(intake, 1)
    assert [(f.rule, f.finding, f.file) for f in found] == [('notebook', 'unreadable', 'runner.ipynb')]
    assert found[0].detail.startswith('runner.ipynb is not JSON (RecursionError: ')


def test_code_chained_past_the_parser_s_depth_costs_no_check(complete):
    folder = complete()
    chain = 'x = ' + '+'.join(['a'] * 200_000) + '\n'   # ast.parse: RecursionError
    with open(folder / 'criterion.py', 'a') as handle:
        handle.write(chain)
    (folder / 'helpers.py').write_text(chain + 'import torch\n')
    assert [(f.rule, f.file, f.line) for f in findings_of(folder)] == [('framework', 'helpers.py', 2)]


@pytest.mark.parametrize('cell, words', [
    ({'cell_type': 'code', 'source': 'x', 'execution_count': 1, 'outputs': 5}, 'cell 1 has outputs that are not'),
    ({'cell_type': 'code', 'source': 'x', 'execution_count': '1', 'outputs': []}, "cell 1 has an execution count that"),
    ({'cell_type': 'code', 'source': [1, 2], 'outputs': []}, 'cell 1 has a source that is not text'),
    ('print(1)', 'cell 1 is not a cell'),
])
def test_a_notebook_whose_cells_break_the_layout_is_unreadable(complete, cell, words):
    folder = complete()
    (folder / 'runner.ipynb').write_text(json.dumps({'cells': [cell], 'metadata': {}, 'nbformat': 4,
                                                     'nbformat_minor': 5}))
    found = findings_of(folder)
    assert [(f.rule, f.finding) for f in found] == [('notebook', 'unreadable')]
    assert f'runner.ipynb is a notebook whose {words}' in found[0].detail
