"""Teacher-only checks of case 1 (softmax cross-entropy, momentum SGD) beyond the student tests.

They fail as the student tests do: a diagnosis from tests/diagnose.py, not an assertion dump. The
code under test is reached through tests/probes.py only (the grader's worker runs it sandboxed).
"""
import numpy as np
import pytest

import probes
from diagnose import check_sgd, compare, todo
from test_case1 import check_loss_gradient, check_model_gradients


@pytest.mark.parametrize('n, n_in, n_out', [(1, 3, 2), (13, 9, 5)])
def test_model_gradients_on_other_shapes(n, n_in, n_out, rng):
    x, labels = rng.standard_normal((n, n_in)), rng.integers(0, n_out, n)
    W, b = rng.standard_normal((n_in, n_out)) * 0.1, rng.standard_normal((1, n_out))
    check_model_gradients(f'case 1 model, N={n}', x, labels, W, b)


def test_soft_targets_gradient(rng):
    check_loss_gradient('softmax', 'SoftmaxCrossEntropyLossLayer with soft targets', rng.standard_normal((6, 4)) * 2,
                        rng.dirichlet(np.ones(4), 6))


def test_float32_logits_of_1e4_stay_finite():
    logit = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]], np.float32)
    with todo('criterion.py: SoftmaxCrossEntropyLossLayer.forward and backward'), np.errstate(all='ignore'):
        out = probes.run('loss_gradient', kind='softmax', u=logit, gt=np.array([0, 1]))
    compare('softmax cross-entropy of float32 logits ±1e4: E', out['loss'], np.log(2) / 2, 2, tol=1e-4)
    compare('softmax cross-entropy of float32 logits ±1e4: dE/du', out['delta'], [[0, 0, 0], [0, -0.25, 0.25]], 2,
            tol=1e-4)


def test_momentum_trajectory_with_fixed_gradients(rng):
    check_sgd('SGD (γ = 0.7, α = 0.2): (W, b)', rng, 0.2, momentum=0.7, steps=6)


def test_case1_learns_mnist_subset(mnist_subset):
    (x, labels), (x_test, labels_test) = mnist_subset
    with todo('the case 1 TODOs'):
        scores = probes.run('train_softmax_regression', x=x, labels=labels, x_test=x_test, epochs=2,
                            learning_rate=0.1, momentum=0.9, batch=100)['scores']
    accuracy = np.mean(np.asarray(scores, np.float64).reshape(len(labels_test), -1).argmax(axis=1) == labels_test)
    if not accuracy > 0.85:
        pytest.fail(f'softmax regression reached a test accuracy of {accuracy:.3f} after 2 epochs on 3000 MNIST '
                    'images (α = 0.1, γ = 0.9, batch 100); the course\'s code reaches about 0.88', pytrace=False)
