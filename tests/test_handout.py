"""teacher/handout.py: the release's content, determinism, refusals, marker errors, and the acceptance run of
pytest inside a release. Teacher-only (not in a release)."""
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from teacher import handout
ROOT = handout.ROOT

SOLUTION_LINES = {   # distinctive lines of the solutions, which no release of that case may hold
    1: ('np.ascontiguousarray(logit.T).max(axis=0)', 'v[...] = self.momentum * v - self.learning_rate * grad',
        'delta /= len(self.gt)', 'param += np.multiply(v, self.momentum, out=extra)',
        "loss = (log_total.sum() - s[np.arange(len(gt)), gt].sum()) / len(gt)", 'np.matmul(x.T, delta, out=grad_W)'),
    2: ('np.maximum(Input, zero)', '0.5 + 0.5 * np.tanh(0.5 * Input)',
        'return self.diff / len(self.diff)', 'return delta @ self.W.T'),
    3: ('u = self.cols @ self.weight_matrix().T', 'grad = rows.T @ self.cols',
        'padded[:, i:i + s * Ho:s, j:j + s * Wo:s] += block.reshape(N, Ho, Wo, C)',
        'target += delta * (self.winner == offset)'),
}
WITHHELD = {1: (1, 2, 3), 2: (1, 2, 3), 3: (3,)}   # its own TODOs and every later case's; case 3 gives 1 and 2


def tree(folder):
    """{relative path: bytes} of every file under folder."""
    files = {}
    for top, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(top, name)
            with open(path, 'rb') as file:
                files[os.path.relpath(path, folder)] = file.read()
    return files


@pytest.fixture(scope='module', params=handout.CASES)
def release(request, tmp_path_factory):
    """(case, folder, {path: bytes}) of a release made once per case."""
    out = tmp_path_factory.mktemp('release') / f'case{request.param}'
    handout.make_release(out, request.param)
    return request.param, out, tree(out)


def test_the_case_files_are_those_with_regions_of_the_case():
    assert handout.case_files(1) == ['criterion.py', 'layers.py', 'optimizer.py', 'softmax_classifier.py']
    assert handout.case_files(2) == ['criterion.py', 'layers.py', 'optimizer.py']
    assert handout.case_files(3) == ['conv.py', 'pooling.py']


def test_a_release_holds_the_students_files_and_nothing_of_the_teachers(release):
    case, _, files = release
    for name in ('README.md', 'requirements.txt', 'pytest.ini', 'layers.py', 'loss.py', 'solver.py', 'report.py',
                 'report/__main__.py', 'report/experiments.py', 'report/writer.py',
                 'mlp.ipynb', 'tests/diagnose.py', 'tests/conftest.py', f'tests/test_case{case}.py',
                 'data/train-images-idx3-ubyte.gz'):
        assert name in files, name
    for name in files:
        assert not name.startswith(('teacher', 'handout', 'release_readme', 'grade', 'bench', '.ci', 'tests/test_handout',
                                    'tests/test_diagnose')) and '__pycache__' not in name, name
    assert files['data/t10k-labels-idx1-ubyte.gz'] == open(os.path.join(ROOT, 'data/t10k-labels-idx1-ubyte.gz'),
                                                             'rb').read()


def test_regions_of_the_case_become_todos_and_no_solution_line_leaks(release):
    case, _, files = release
    text = {name: data.decode('utf-8') for name, data in files.items() if name.endswith('.py')}
    assert not any('### BEGIN SOLUTION' in t or '### END SOLUTION' in t for t in text.values())
    for name in handout.modules(ROOT):
        with open(os.path.join(ROOT, name), encoding='utf-8') as file:
            source = file.read().split('\n')
        regions = handout.regions(os.path.join(ROOT, name))
        inside = {i for b, e, cases, _ in regions if case in cases for i in range(b, e + 1)}
        outside = {line for i, line in enumerate(source) if i not in inside}   # lines the release keeps anyway
        for begin, end, cases, function in regions:
            if case not in cases:
                continue
            assert f'TODO: {handout.TODOS[(name, function)].splitlines()[0]}' in text[name]
            if (name, function) not in handout.FALLBACK:
                assert f"{name}: TODO {function} — not implemented yet" in text[name]
            leaked = [line for line in source[begin + 1:end] if line.strip() and line not in outside
                      and line in text[name].split('\n')]
            assert not leaked, (name, function, leaked)
    for line in (line for withheld in WITHHELD[case] for line in SOLUTION_LINES[withheld]):
        assert not any(line in t for t in text.values()), line
    for kept in set(SOLUTION_LINES) - set(WITHHELD[case]):   # the other cases' solutions stay, without markers
        assert all(any(line in t for t in text.values()) for line in SOLUTION_LINES[kept]), kept
    if case == 1:   # case 2's solutions are withheld, but FCLayer.forward, which case 1's model needs, is given
        assert not any(line in t for line in SOLUTION_LINES[2] for t in text.values())
        assert 'u = Input @ self.W' in text['layers.py']
        assert "raise NotImplementedError('layers.py: ReLULayer.forward comes with case 2')" in text['layers.py']


def test_the_regions_of_each_case_are_todos_given_or_withheld():
    def names(case):
        todos, given = handout.case_regions(case)
        return {(f, fn) for f, fn, _, _ in todos}, {(f, fn) for f, fn, _ in given}
    todos1, given1 = names(1)
    todos2, given2 = names(2)
    assert given1 == {('layers.py', 'FCLayer.forward')}       # case 2's, given in 1; ReLU etc. withheld
    assert ('optimizer.py', 'SGD._update_plain') in todos1 and ('layers.py', 'FCLayer.forward') not in todos1
    assert ('layers.py', 'ReLULayer.forward') in todos2 and given2 == {('softmax_classifier.py', 'softmax_classifier')}


def test_a_release_that_would_leak_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(handout, 'strip', lambda path, case, name=None: open(path, encoding='utf-8').read())
    with pytest.raises(handout.LeakError, match=r'case-1 release would hold .*conv.py: ConvLayer.correlate: '):
        handout.make_release(tmp_path / 'out', 1)
    assert os.listdir(tmp_path) == []


def test_files_without_regions_of_the_case_are_copied_as_they_are(release):
    case, _, files = release
    for name in handout.modules(ROOT):
        with open(os.path.join(ROOT, name), 'rb') as file:
            source = file.read()
        if all(r[2].role(case) == 'given' for r in handout.regions(os.path.join(ROOT, name))):   # no TODO, none withheld
            kept = [line for line in source.decode('utf-8').split('\n') if not handout.MARKER.match(line)]
            assert files[name].decode('utf-8').split('\n') == kept, name


def test_notebooks_lose_their_outputs_and_the_sections_that_need_teacher_modules(release):
    _, _, files = release
    shipped_modules = {name[:-3] for name in files if name.endswith('.py') and '/' not in name}
    for name in ('mlp.ipynb', 'regression.ipynb', 'runner.ipynb'):
        with open(os.path.join(ROOT, name), encoding='utf-8') as file:
            source = [c['source'] for c in json.load(file)['cells']]
        shipped = json.loads(files[name])['cells']
        kept = [c['source'] for c in shipped]
        assert kept == source, name   # runner's report section too: the release holds the report
        for cell in shipped:
            assert cell['cell_type'] != 'code' or (cell['outputs'] == [] and cell['execution_count'] is None)
            for module in re.findall(r'^\s*(?:from|import)\s+(\w+)', ''.join(cell['source']), re.M):
                assert module in shipped_modules or not os.path.exists(os.path.join(ROOT, module + '.py')), module


def test_the_student_readme_names_the_files_and_the_todos(release):
    case, _, files = release
    readme = files['README.md'].decode('utf-8')
    for name in handout.case_files(case):
        assert f'`{name}`' in readme
    assert 'python -m pytest' in readme
    if case == 3:   # the CNN case: the convolution and the pooling; cases 1 and 2 come solved
        assert '`ConvLayer.backward`' in readme and '`MaxPoolingLayer.backward`' in readme
        return
    assert '`SGD._update_plain`' in readme
    assert '`FCLayer.gradients`' in readme and ('| `FCLayer.forward` |' in readme) == (case == 2)   # a TODO of case 2


def test_the_same_source_gives_the_same_bytes(release, tmp_path):
    case, _, files = release
    handout.make_release(tmp_path / 'again', case)
    assert tree(tmp_path / 'again') == files


def test_a_folder_that_is_not_empty_is_refused_and_left_alone(tmp_path):
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out' / 'mine.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='exists and is not empty'):
        handout.make_release(tmp_path / 'out', 1)
    assert os.listdir(tmp_path / 'out') == ['mine.txt'] and sorted(os.listdir(tmp_path)) == ['out']
    with pytest.raises(SystemExit, match='teacher.handout: release folder .* exists and is not empty'):
        handout.main([str(tmp_path / 'out'), '--case', '1'])
    (tmp_path / 'empty').mkdir()
    handout.make_release(tmp_path / 'empty', 1)          # an empty folder is fine
    assert (tmp_path / 'empty' / 'criterion.py').exists()
    with pytest.raises(ValueError, match='case 4'):
        handout.make_release(tmp_path / 'four', 4)


BAD_MARKERS = {   # module text: what the error must say (file:line and the fault)
    'def f():\n    ### BEGIN SOLUTION case 1\n    ### BEGIN SOLUTION case 2\n    ### END SOLUTION\n':
        r'bad\.py:3: BEGIN SOLUTION inside the region opened at line 2',
    'def f():\n    ### BEGIN SOLUTION case 1\n    return 1\n': r'bad\.py:2: BEGIN SOLUTION without an END',
    'def f():\n    return 1\n    ### END SOLUTION\n': r'bad\.py:3: END SOLUTION without a BEGIN',
    'def f():\n    ### BEGIN SOLUTION case 4\n    return 1\n    ### END SOLUTION\n': r'bad\.py:2: unknown case',
    'def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n': r'bad\.py:2: unknown case',
    '### BEGIN SOLUTION case 1\nx = 1\n### END SOLUTION\n': r'bad\.py:1: a region must lie inside one function',
    'class A:\n    ### BEGIN SOLUTION case 1\n    x = 1\n    ### END SOLUTION\n':
        r'bad\.py:2: a region must lie inside one function',
    'def f():\n    if True:\n        ### BEGIN SOLUTION case 1\n        x = 1\n    ### END SOLUTION\n':
        r'bad\.py:5: END SOLUTION must be indented like its BEGIN',
    'def f():\n    ### BEGIN SOLUTIONS case 1\n': r"bad\.py:2: .* is not a marker",
    'def f():\n    ### BEGIN SOLUTION case 2 (given in 2)\n    return 1\n    ### END SOLUTION\n':
        r'bad\.py:2: a case cannot both have the TODO and be given it',
}


@pytest.mark.parametrize('text', list(BAD_MARKERS))
def test_malformed_markers_are_named_by_file_and_line(text, tmp_path):
    source = tmp_path / 'source'
    source.mkdir()
    (source / 'bad.py').write_text(text)
    with pytest.raises(handout.MarkerError, match=BAD_MARKERS[text]):
        handout.make_release(tmp_path / 'out', 1, source_dir=source)
    assert sorted(os.listdir(tmp_path)) == ['source']     # nothing half-written is left


def test_a_region_inside_a_nested_block_of_a_function_is_fine(tmp_path):
    (tmp_path / 'ok.py').write_text('class A:\n    def f(self):\n        if True:\n'
                                    '            ### BEGIN SOLUTION case 1 2\n            return 1\n'
                                    '            ### END SOLUTION\n')
    assert handout.regions(tmp_path / 'ok.py') == [(3, 5, frozenset({1, 2}), 'A.f')]


def run_pytest(folder, report, *options):
    """Run pytest inside folder; {test id: (outcome, message)} from its JUnit XML."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', MPLBACKEND='Agg')
    command = [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', f'--junitxml={report}', *options]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    results = {}
    for case in ET.parse(report).iter('testcase'):
        problem = next((child for child in case if child.tag in ('failure', 'error', 'skipped')), None)
        outcome = 'passed' if problem is None else problem.tag
        results[f"{case.get('classname')}::{case.get('name')}"] = (outcome, '' if problem is None else
                                                                   problem.get('message', ''))
    assert results and 'error' not in done.stdout.splitlines()[-1], done.stdout[-3000:]
    return results


@pytest.mark.parametrize('case', handout.CASES)
def test_acceptance_todos_fail_by_name_the_rest_passes_and_the_solution_passes_all(case, tmp_path):
    out = tmp_path / 'release'
    handout.make_release(out, case)
    results = run_pytest(out, tmp_path / 'todo.xml')
    todo_tests = {k: v for k, v in results.items() if '.test_case' in k}
    assert todo_tests
    assert all(outcome == 'failure' and message.startswith('Failed: ') and 'not implemented yet' in message
               for outcome, message in todo_tests.values()), todo_tests   # pytest.fail, not a traceback
    assert all(outcome == 'passed' for k, (outcome, _) in results.items() if k not in todo_tests), results
    raised = ' '.join(message for _, message in todo_tests.values())
    for name in handout.case_files(case):   # every TODO of the case is named by some failure
        for _, _, cases, function in handout.regions(os.path.join(ROOT, name)):
            if case in cases and (name, function) not in handout.FALLBACK:
                assert f'{name}: TODO {function} — not implemented yet' in raised, function
    for name in handout.case_files(case):
        shutil.copyfile(os.path.join(ROOT, name), out / name)
    solved = run_pytest(out, tmp_path / 'solved.xml')
    assert solved.keys() == results.keys()
    assert all(outcome == 'passed' for outcome, _ in solved.values()), solved


def test_a_student_who_writes_only_the_plain_sgd_passes_the_fast_tests_too(tmp_path):
    out = tmp_path / 'release'
    handout.make_release(out, 1)
    with open(os.path.join(ROOT, 'optimizer.py'), encoding='utf-8') as file:
        source = file.read().split('\n')
    begin, end, _, _ = next(r for r in handout.regions(os.path.join(ROOT, 'optimizer.py'))
                            if r[3] == 'SGD._update_plain')
    text = (out / 'optimizer.py').read_text(encoding='utf-8')
    raise_line = "        raise NotImplementedError('optimizer.py: TODO SGD._update_plain — not implemented yet')"
    assert text.count(raise_line) == 1
    (out / 'optimizer.py').write_text(text.replace(raise_line, '\n'.join(source[begin + 1:end])), encoding='utf-8')
    results = run_pytest(out, tmp_path / 'plain.xml', '-k', 'sgd')
    assert len(results) == 6 and all(outcome == 'passed' for outcome, _ in results.values()), results


def test_in_the_case3_release_the_students_convolution_runs_never_the_fft_path(tmp_path):
    """fastconv.py stays with the teacher and ConvLayer._fast_path says False: a float32 layer of the deep
    shape the teacher's code sends down the FFT path runs the student's correlate (here the solution's lines
    put back) and gives the reference's u; with the TODO empty it fails by name."""
    out = tmp_path / 'release'
    handout.make_release(out, 3)
    assert not (out / 'fastconv.py').exists() and 'return False' in (out / 'conv.py').read_text(encoding='utf-8')
    script = ('import numpy as np, conv\n'
              'layer = conv.ConvLayer(32, 64, 5, 2, rng=0)\n'
              'x = np.random.default_rng(0).standard_normal((2, 32, 14, 14)).astype(np.float32)\n'
              'u = layer.forward(x)\n'
              'want = conv.conv2d_reference(x.astype(np.float64), layer.W.astype(np.float64), layer.b, 1, 2)\n'
              'error = np.abs(u - want).max() / np.abs(want).max()\n'
              'print(layer.cols is not None, layer._spectra is None, float(error))\n')
    run = lambda: subprocess.run([sys.executable, '-c', script], cwd=out, capture_output=True, text=True)
    empty = run()
    assert 'conv.py: TODO ConvLayer.correlate — not implemented yet' in empty.stderr, empty.stderr
    with open(os.path.join(ROOT, 'conv.py'), encoding='utf-8') as file:
        source = file.read().split('\n')
    begin, end, _, _ = next(r for r in handout.regions(os.path.join(ROOT, 'conv.py')) if r[3] == 'ConvLayer.correlate')
    text = (out / 'conv.py').read_text(encoding='utf-8')
    raise_line = "        raise NotImplementedError('conv.py: TODO ConvLayer.correlate — not implemented yet')"
    (out / 'conv.py').write_text(text.replace(raise_line, '\n'.join(source[begin + 1:end])), encoding='utf-8')
    solved = run()
    used_patches, no_spectra, error = solved.stdout.split()
    assert used_patches == no_spectra == 'True' and float(error) < 1e-5, solved
