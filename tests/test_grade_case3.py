"""Case 3 graded in the sandbox: the points follow the submission's conv.py and pooling.py, not the teacher's.

test_case3.py calls the student's code only through tests/probes.py, so the grader, which holds the
teacher's files, sends each call to the submission's worker. The teacher's own files earn full marks;
a convolution with one usual mistake planted loses the points of the tests that catch it, and its
feedback names the mistake. Skipped where the sandbox cannot be built, as test_grade_sandbox.py is; about 10 s.
"""
import pytest

from teacher import grade
from teacher import sandbox
from teacher.run import Limits
from test_grade import feedback, grade_folders, mutate, own_files

SUPPORT = sandbox.support()
pytestmark = [pytest.mark.skipif(
    not (SUPPORT.usable and SUPPORT.root), reason='the sandbox needs bubblewrap and root: '
    + ('; '.join(SUPPORT.missing) or 'not root'))]
LIMITS = Limits(wall=120, per_test=20, memory_mb=1024, output_mb=2)
TESTS = 'tests/test_case3.py::'
FORWARD, BACKWARD = TESTS + 'test_conv_forward_is_the_cross_correlation', \
    TESTS + 'test_conv_backward_is_the_gradient_of_the_input'
NUMERICAL = TESTS + 'test_conv_gradients_match_the_numerical_ones'


@pytest.fixture(scope='module')
def graded(tmp_path_factory):
    """({name: row of grades.csv}, problems, out folder) of case 3's grading of the planted submissions."""
    root = tmp_path_factory.mktemp('case3')
    own = own_files(3)
    subs = {
        'own': own,
        'flipped_kernel': {**own, 'conv.py': mutate(
            own['conv.py'], 'u = self.cols @ self.weight_matrix().T',
            'u = self.cols @ self.W[:, :, ::-1, ::-1].transpose(0, 2, 3, 1).reshape(len(self.W), -1).T')},
        'padding_forgotten': {**own, 'conv.py': mutate(
            own['conv.py'], 'return padded[:, p:p + H, p:p + Wd].transpose(0, 3, 1, 2)',
            'return padded.transpose(0, 3, 1, 2)')},
    }
    return grade_folders(root, 3, subs, LIMITS)


def test_the_teachers_own_files_earn_full_marks_in_the_sandbox(graded):
    rows, problems, out = graded
    assert problems == []
    assert rows['own']['score'] == rows['own']['max'] and rows['own']['flags'] == '', feedback(out, 'own')
    assert 'sandboxed (bubblewrap' in rows['own']['notes']


@pytest.mark.parametrize('name, lost, said', [
    ('flipped_kernel', [FORWARD, NUMERICAL], 'Diagnosis: kernel flipped against the forward'),
    ('padding_forgotten', [BACKWARD, NUMERICAL], 'Diagnosis: padding forgotten in backward')])
def test_a_planted_convolution_mistake_loses_its_points_with_its_diagnosis(graded, name, lost, said):
    rows, _, out = graded
    text = feedback(out, name)
    assert all(rows[name][test] < grade.POINTS[3][test] for test in lost), text   # pad 0 instances may pass
    assert rows[name][NUMERICAL] == 0 and rows[name]['score'] < rows[name]['max'], text
    assert said in text, text
