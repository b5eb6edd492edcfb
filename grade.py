"""Grade student submissions of a case: python grade.py SUBMISSION... --case 1|2|3 --out DIR

Each SUBMISSION (a folder or a .zip) gives its versions of the case's files (handout.case_files);
they go into a fresh copy of the release with the hidden tests, and pytest runs there in a process
of its own, within limits (grade_run.py), several submissions at once. The teacher's own files are
graded alongside as the reference: they fix which tests exist and must earn full marks. DIR gets
grades.csv and one feedback file per submission (grade_feedback.py).
"""
import argparse
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from grade_feedback import score, write_outputs
from grade_intake import read_submission
from grade_run import HERE, Limits, Template, run_submission

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
        'tests/test_case1.py::test_sgd_nesterov_follows_the_lecture': 1,
        'tests/test_case1.py::test_softmax_classifier_loss_and_prediction': 1,
        'tests/test_case1.py::test_softmax_classifier_gradient_matches_the_numerical_one': 2,
        'tests/test_case1.py::test_softmax_classifier_survives_large_inputs': 1,
        'tests_hidden/test_hidden_case1.py::test_model_gradients_on_other_shapes': 2,
        'tests_hidden/test_hidden_case1.py::test_soft_targets_gradient': 1,
        'tests_hidden/test_hidden_case1.py::test_float32_logits_of_1e4_stay_finite': 1,
        'tests_hidden/test_hidden_case1.py::test_momentum_trajectory_with_fixed_gradients': 1,
        'tests_hidden/test_hidden_case1.py::test_case1_learns_mnist_subset': 2,
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
        'tests_hidden/test_hidden_case2.py::test_fc_gradients_on_other_shapes': 2,
        'tests_hidden/test_hidden_case2.py::test_activation_gradients': 1,
        'tests_hidden/test_hidden_case2.py::test_euclidean_gradient_with_targets': 1,
        'tests_hidden/test_hidden_case2.py::test_weight_decay_shrinks_weights_not_biases': 1,
        'tests_hidden/test_hidden_case2.py::test_mlp_learns_mnist_subset': 1,
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


def grade(submissions, case, out, limits=Limits(), jobs=None, source_dir=HERE, work=None):
    """Grade every submission; write DIR/grades.csv and the feedback files; (rows, problems).

    work: where the submissions' folders are made (default: the system's temporary folder).
    """
    work = tempfile.mkdtemp(prefix='grade-', dir=work)
    try:
        template = Template(case, source_dir, work)
        files = test_files(case)

        def one(path):
            intake = read_submission(path, template.case_files) if path is not REFERENCE else None
            submitted = template.solution if intake is None else intake.files
            return intake, run_submission(template, submitted, files, limits, work)

        with ThreadPoolExecutor(jobs or os.cpu_count() or 1) as pool:
            done = list(pool.map(one, [REFERENCE, *submissions]))
        for i, (intake, run) in enumerate(done):   # maybe another's doing: again, alone
            if run.tampered or run.suspect:
                again = one(submissions[i - 1] if i else REFERENCE)
                again[1].events.insert(0, 'graded a second time, alone, after finding changed files or records')
                done[i] = again
    finally:
        shutil.rmtree(work, ignore_errors=True)
    reference = done[0][1]
    collected = reference.collected
    problems = table_problems(case, collected)
    rows = [score(POINTS[case], collected, intake, run, limits) for intake, run in done[1:]]
    reference_row = score(POINTS[case], collected, None, reference, limits)
    if reference_row['score'] != reference_row['max']:
        problems.append(f'the teacher\'s own files score {reference_row["score"]} of {reference_row["max"]}')
    write_outputs(out, case, POINTS[case], rows)
    return rows, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description='Grade student submissions (folders or .zip files) of a case.')
    parser.add_argument('submissions', nargs='+', metavar='SUBMISSION')
    parser.add_argument('--case', type=int, choices=sorted(POINTS), required=True)
    parser.add_argument('--out', required=True, metavar='DIR', help='gets grades.csv and one feedback file each')
    parser.add_argument('--jobs', type=int, default=None, help='submissions at once (default: the CPU count)')
    parser.add_argument('--time-limit', type=float, default=Limits.wall, help='seconds per submission')
    parser.add_argument('--test-timeout', type=float, default=Limits.per_test, help='seconds per test')
    parser.add_argument('--memory-mb', type=int, default=Limits.memory_mb)
    parser.add_argument('--output-mb', type=int, default=Limits.output_mb)
    args = parser.parse_args(argv)
    missing = [path for path in args.submissions if not os.path.exists(path)]
    if missing:
        parser.error(f'no such submission: {", ".join(missing)}')
    limits = Limits(args.time_limit, args.test_timeout, args.memory_mb, args.output_mb)
    rows, problems = grade(args.submissions, args.case, args.out, limits, args.jobs)
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
