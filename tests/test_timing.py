"""The vectorized rule, measured: each TODO timed in the worker at the course's shapes against the teacher's.

The probe runs here for every TODO of every case (it must know how to call each one); the comparison
is checked on given times (no clock involved); and one grading run in tmp folders times a submission
whose FCLayer.gradients loops over every weight (thousands of times slower than the teacher's, so no
busy machine hides it) beside the teacher's own files, which are not reported.
"""
import os

import pytest

import probes
from teacher import sandbox
from teacher.handout import case_regions
from teacher.run import Limits, Template, run_submission
from teacher.timing import SLOW_RATIO, def_line, slow_findings
from test_grade import mutate, own_files

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
GRADIENTS = '        self.grad_W = np.matmul(x.T, delta, out=grad_W)\n'
LOOPED = '''        grad_W[...] = 0
        for i in range(x.shape[1]):
            for k in range(delta.shape[1]):
                grad_W[i, k] = sum(x[n, i] * delta[n, k] for n in range(len(x)))
        self.grad_W = grad_W
'''


@pytest.mark.parametrize('case', [1, 2, 3])
def test_every_todo_of_every_case_is_timed_by_the_probe(case):
    todos = [function for _, function, *_ in case_regions(case)[0]]
    for todo in todos:
        out = probes.run('todo_time', case=case, todo=todo, seed=3, repeats=2)
        assert 0 < out['seconds'] < 5 and out['calls'] >= 2, (todo, out)


def test_a_todo_over_ten_times_the_teachers_is_reported_with_its_ratio_and_line():
    files = {'layers.py': mutate(own_files()['layers.py'], GRADIENTS, LOOPED).encode()}
    todos = [('layers.py', 'FCLayer.gradients'), ('criterion.py', 'softmax_parts')]
    reference = {'FCLayer.gradients': [2e-5, False], 'softmax_parts': [1e-5, False]}
    timings = {'FCLayer.gradients': [3e-3, False], 'softmax_parts': [SLOW_RATIO * 0.9e-5, False]}
    found = slow_findings(1, todos, timings, reference, files)
    assert [(f.rule, f.finding, f.file) for f in found] == [('vectorized', 'slow', 'layers.py')]
    assert found[0].line == def_line(files['layers.py'], 'FCLayer.gradients') > 0
    text = files['layers.py'].decode().splitlines()[found[0].line - 1]
    assert text.strip().startswith('def gradients('), text
    assert '150×' in found[0].detail and '3.0 ms' in found[0].detail and 'batch 100, 784 -> 10' in found[0].detail


def test_a_todo_stopped_at_the_limit_is_reported_as_at_least_and_a_missing_time_is_not():
    todos = [('conv.py', 'ConvLayer.backward'), ('conv.py', 'ConvLayer.correlate')]
    found = slow_findings(3, todos, {'ConvLayer.backward': [10.0, True], 'ConvLayer.correlate': None},
                          {'ConvLayer.backward': [0.1, False], 'ConvLayer.correlate': [0.05, False]}, {})
    assert len(found) == 1 and 'at least 100×' in found[0].detail and 'over 10.0 s' in found[0].detail
    assert found[0].line == 0   # the file was not handed in: no line to point at


@pytest.mark.slow
@pytest.mark.skipif(not sandbox.support().usable, reason='the timing is measured in the sandboxed worker')
def test_a_loop_over_the_weights_is_timed_in_the_worker_and_found_slow(tmp_path):
    template = Template(1, ROOT, str(tmp_path))
    support = sandbox.support()
    limits = Limits(wall=90, per_test=10)
    files = ['tests/test_case1.py']
    reference = run_submission(template, template.solution, files, limits, str(tmp_path), 0, support, 5)
    looped = {**template.solution, 'layers.py': mutate(own_files()['layers.py'], GRADIENTS, LOOPED).encode()}
    run = run_submission(template, looped, files, limits, str(tmp_path), 1, support, 5)
    assert set(reference.timings) == set(run.timings) == {function for _, function in template.todos}
    assert slow_findings(1, template.todos, reference.timings, reference.timings, template.solution) == []
    found = slow_findings(1, template.todos, run.timings, reference.timings, looped)
    assert [(f.finding, f.file, f.line) for f in found] == [
        ('slow', 'layers.py', def_line(looped['layers.py'], 'FCLayer.gradients'))], (run.timings, reference.timings)
