"""The points of each case's tests: the one place they are declared, and the check of the table against the
tests pytest collects. The grade run (grade.py) scores each hand-in's outcomes with them (feedback.py).
"""

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


def test_files(case):
    """The test files graded for `case`, in the table's order."""
    return list(dict.fromkeys(key.split('::')[0] for key in POINTS[case]))


def table_problems(case, collected):
    """Sentences naming declared tests that do not exist and collected tests without points."""
    keys = POINTS[case]
    owner = {nodeid: nodeid.split('[')[0] for nodeid in collected}
    return ([f'{key} has points but no such test was collected' for key in keys if key not in owner.values()]
            + [f'{nodeid} was collected but has no points' for nodeid, key in owner.items() if key not in keys])
