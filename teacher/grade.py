"""Grade student submissions of a case: python -m teacher.grade SUBMISSION... --case 1|2|3 --out DIR

Each SUBMISSION (a folder or a .zip) gives its versions of the case's files (handout.case_files).
The tests run in a process of the grader's holding the teacher's files (run.py); each call of
the student's code goes to a worker holding the submission, in a sandbox (sandbox.py, worker.py),
and only data comes back, so what the submission does cannot reach the verdict. Several submissions
are graded at once, each worker as its own uid. The inputs are drawn from a seed chosen now. The
teacher's own files are graded alongside as the reference: they fix which tests exist and must earn
full marks. DIR gets grades.csv and one feedback file per submission (feedback.py), and (unless
--no-similarity) similarity.csv and similarity.html (teacher.similarity), with the wrong outputs shared.

Without a working sandbox (sandbox.support() says which piece is missing) grading refuses to start
unless the teacher passes --no-sandbox: the workers are then plain processes that see and reach what
the teacher can (the verdict still stays out of their reach).
"""
import argparse
import os
import queue
import secrets
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from teacher import sandbox

from teacher.feedback import score, write_outputs
from teacher.intake import read_submission
from teacher.run import ROOT, Limits, Template, run_submission
from teacher.similarity import report as similarity_report

# The one place points are declared: case -> {test file::test function: points}. The instances of a
# parametrized test share its points (each passing instance earns its share). Only these files run.
POINTS = {
    1: {
        'tests/test_case1.py::test_softmax_parts_is_the_softmax_without_overflow': 2,
        'tests/test_case1.py::test_softmax_cross_entropy_forward': 2,
        'tests/test_case1.py::test_softmax_cross_entropy_backward_is_y_minus_t_over_n': 2,
        'tests/test_case1.py::test_softmax_cross_entropy_survives_large_logits': 1,
        'tests/test_case1.py::test_softmax_cross_entropy_gradient_matches_the_numerical_one': 2,
        'tests/test_case1.py::test_softmax_regression_gradients_are_xt_delta_and_the_sum_of_delta': 2,
        'tests/test_case1.py::test_softmax_regression_gradients_match_the_numerical_ones': 2,
        'tests/test_case1.py::test_sgd_with_momentum_follows_the_lecture': 3,
        'tests/test_case1.py::test_sgd_with_weight_decay_spares_the_bias': 1,
        'tests/test_case1.py::test_sgd_nesterov_follows_the_lecture': 1,
        'tests/test_case1.py::test_softmax_classifier_loss_and_prediction': 1,
        'tests/test_case1.py::test_softmax_classifier_gradient_matches_the_numerical_one': 2,
        'tests/test_case1.py::test_softmax_classifier_survives_large_inputs': 1,
        'teacher/tests_hidden/test_hidden_case1.py::test_model_gradients_on_other_shapes': 2,
        'teacher/tests_hidden/test_hidden_case1.py::test_soft_targets_gradient': 1,
        'teacher/tests_hidden/test_hidden_case1.py::test_float32_logits_of_1e4_stay_finite': 1,
        'teacher/tests_hidden/test_hidden_case1.py::test_momentum_trajectory_with_fixed_gradients': 1,
        'teacher/tests_hidden/test_hidden_case1.py::test_case1_learns_mnist_subset': 2,
    },
    2: {
        'tests/test_case1.py::test_softmax_parts_is_the_softmax_without_overflow': 1,
        'tests/test_case1.py::test_softmax_cross_entropy_forward': 1,
        'tests/test_case1.py::test_softmax_cross_entropy_backward_is_y_minus_t_over_n': 1,
        'tests/test_case1.py::test_softmax_cross_entropy_survives_large_logits': 1,
        'tests/test_case1.py::test_softmax_cross_entropy_gradient_matches_the_numerical_one': 1,
        'tests/test_case1.py::test_softmax_regression_gradients_are_xt_delta_and_the_sum_of_delta': 1,
        'tests/test_case1.py::test_softmax_regression_gradients_match_the_numerical_ones': 1,
        'tests/test_case1.py::test_sgd_with_momentum_follows_the_lecture': 1,
        'tests/test_case1.py::test_sgd_with_weight_decay_spares_the_bias': 1,
        'tests/test_case1.py::test_sgd_nesterov_follows_the_lecture': 1,
        'tests/test_case1.py::test_softmax_classifier_loss_and_prediction': 0,   # not a case-2 TODO
        'tests/test_case1.py::test_softmax_classifier_gradient_matches_the_numerical_one': 0,
        'tests/test_case1.py::test_softmax_classifier_survives_large_inputs': 0,
        'tests/test_case2.py::test_fc_forward_is_xw_plus_b': 2,
        'tests/test_case2.py::test_fc_gradients_are_xt_delta_and_the_sum_of_delta': 2,
        'tests/test_case2.py::test_fc_backward_is_delta_wt': 2,
        'tests/test_case2.py::test_fc_gradients_match_the_numerical_ones': 2,
        'tests/test_case2.py::test_relu': 1,
        'tests/test_case2.py::test_sigmoid': 1,
        'tests/test_case2.py::test_activation_backward': 2,
        'tests/test_case2.py::test_sigmoid_stays_quiet_and_finite_at_large_inputs': 1,
        'tests/test_case2.py::test_euclidean_loss': 1,
        'tests/test_case2.py::test_euclidean_loss_backward_is_y_minus_t_over_n': 1,
        'tests/test_case2.py::test_sgd_with_weight_decay_as_the_course_calls_it': 2,
        'teacher/tests_hidden/test_hidden_case2.py::test_fc_gradients_on_other_shapes': 2,
        'teacher/tests_hidden/test_hidden_case2.py::test_activation_gradients': 1,
        'teacher/tests_hidden/test_hidden_case2.py::test_euclidean_gradient_with_targets': 1,
        'teacher/tests_hidden/test_hidden_case2.py::test_weight_decay_shrinks_weights_not_biases': 1,
        'teacher/tests_hidden/test_hidden_case2.py::test_mlp_learns_mnist_subset': 1,
    },
    3: {
        'tests/test_case3.py::test_conv_forward_is_the_cross_correlation': 3,
        'tests/test_case3.py::test_conv_gradients_are_the_sums_over_the_batch_and_the_pixels': 3,
        'tests/test_case3.py::test_conv_backward_is_the_gradient_of_the_input': 3,
        'tests/test_case3.py::test_conv_gradients_match_the_numerical_ones': 2,
        'tests/test_case3.py::test_pooling_backward_sends_each_windows_gradient_to_its_first_maximum': 2,
        'tests/test_case3.py::test_a_small_convnet_learns_mnist_digits': 2,
    },
}
REFERENCE = '(the teacher\'s own files)'


def test_files(case):
    """The test files graded for `case`, in the table's order."""
    return list(dict.fromkeys(key.split('::')[0] for key in POINTS[case]))


def table_problems(case, collected):
    """Sentences naming declared tests that do not exist and collected tests without points."""
    keys = POINTS[case]
    owner = {nodeid: nodeid.split('[')[0] for nodeid in collected}
    return ([f'{key} has points but no such test was collected' for key in keys if key not in owner.values()]
            + [f'{nodeid} was collected but has no points' for nodeid, key in owner.items() if key not in keys])


class NoSandbox(RuntimeError):
    """The sandbox cannot be built here and the teacher did not choose --no-sandbox."""


def run_notes(support):
    """One sentence on how the submissions ran: the sandbox, or what is missing and what that means."""
    if support is None:
        return 'no sandbox (--no-sandbox): the submissions\' code ran as plain processes of the teacher'
    if not support.missing:
        return 'sandboxed (bubblewrap, own uid per slot, cgroup)'
    return 'sandboxed, with pieces missing: ' + '; '.join(support.missing)


def grade(submissions, case, out, limits=Limits(), jobs=None, source_dir=ROOT, work=None, no_sandbox=False,
          seed=None, similarity=True):
    """Grade every submission; write DIR/grades.csv and the feedback files; (rows, problems).

    work: where the submissions' folders are made (default: the system's temporary folder).
    no_sandbox: run the workers as plain processes (else NoSandbox when the sandbox cannot be built).
    seed: of the tests' inputs (default: drawn now).
    similarity: also write DIR/similarity.csv and .html (teacher.similarity, with the wrong outputs shared).
    """
    support = None if no_sandbox else sandbox.support()
    if support is not None and not support.usable:
        raise NoSandbox('; '.join(support.missing) + '. Pass --no-sandbox to grade without it.')
    notes, seed = run_notes(support), secrets.randbelow(2 ** 32) if seed is None else seed
    jobs = jobs or os.cpu_count() or 1
    slots = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)
    work = tempfile.mkdtemp(prefix='grade-', dir=work)
    try:
        os.chmod(work, 0o711)
        template = Template(case, source_dir, work)
        files = test_files(case)

        def one(path):
            intake = read_submission(path, template.case_files) if path is not REFERENCE else None
            submitted = template.solution if intake is None else intake.files
            slot = slots.get()
            try:
                return intake, run_submission(template, submitted, files, limits, work, slot, support, seed)
            finally:
                slots.put(slot)

        with ThreadPoolExecutor(jobs) as pool:
            done = list(pool.map(one, [REFERENCE, *submissions]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    reference = done[0][1]
    collected = reference.collected
    problems = table_problems(case, collected)
    rows = [score(POINTS[case], collected, intake, run, limits) for intake, run in done[1:]]
    reference_row = score(POINTS[case], collected, None, reference, limits)
    if reference_row['score'] != reference_row['max']:
        problems.append(f'the teacher\'s own files score {reference_row["score"]} of {reference_row["max"]}')
    for row in rows:
        row['notes'] = f'{notes}; inputs drawn from seed {seed}'
    write_outputs(out, case, POINTS[case], rows)
    if similarity:
        similarity_report.after_grading(out, case, submissions, reference, done[1:], source_dir)
    return rows, problems


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m teacher.grade',
                                     description='Grade student submissions (folders or .zip files) of a case.')
    parser.add_argument('submissions', nargs='+', metavar='SUBMISSION')
    parser.add_argument('--case', type=int, choices=sorted(POINTS), required=True)
    parser.add_argument('--out', required=True, metavar='DIR', help='gets grades.csv and one feedback file each')
    parser.add_argument('--jobs', type=int, default=None, help='submissions at once (default: the CPU count)')
    parser.add_argument('--time-limit', type=float, default=Limits.wall, help='seconds per submission')
    parser.add_argument('--test-timeout', type=float, default=Limits.per_test, help='seconds per test')
    parser.add_argument('--memory-mb', type=int, default=Limits.memory_mb)
    parser.add_argument('--output-mb', type=int, default=Limits.output_mb)
    parser.add_argument('--no-sandbox', action='store_true',
                        help='run the submissions\' code without the sandbox (when it cannot be built here)')
    parser.add_argument('--no-similarity', action='store_true', help='skip similarity.csv and similarity.html')
    args = parser.parse_args(argv)
    missing = [path for path in args.submissions if not os.path.exists(path)]
    if missing:
        parser.error(f'no such submission: {", ".join(missing)}')
    limits = Limits(args.time_limit, args.test_timeout, args.memory_mb, args.output_mb)
    support = None if args.no_sandbox else sandbox.support()
    print(f'teacher.grade: {run_notes(support)}', file=sys.stderr)
    try:
        rows, problems = grade(args.submissions, args.case, args.out, limits, args.jobs, no_sandbox=args.no_sandbox,
                               similarity=not args.no_similarity)
    except NoSandbox as error:
        print(f'teacher.grade: refusing to grade: {error}', file=sys.stderr)
        return 2
    for row in rows:
        print(f'{row["name"]}: {row["score"]:g} / {row["max"]:g}{"  (" + row["flags"] + ")" if row["flags"] else ""}')
    for problem in problems:
        print(f'warning: {problem}', file=sys.stderr)
    unread = [row for row in rows if row['nothing read']]
    for row in unread:
        print(f'error: {row["name"]} scored 0 because nothing could be read: {row["nothing read"]}', file=sys.stderr)
    return 1 if problems or unread else 0


if __name__ == '__main__':
    sys.exit(main())
