"""Teacher-only checks of case 2 (FC layer, activations, loss layers, SGD with weight decay).

They fail as the student tests do: a diagnosis from tests/diagnose.py, not an assertion dump. The
code under test is reached through tests/probes.py only (the grader's worker runs it sandboxed).
"""
import numpy as np
import pytest

import probes
from diagnose import check_sgd, todo
from test_case1 import check_loss_gradient
from test_case2 import check_activation_gradient, check_fc_gradients, fc_inputs


@pytest.mark.parametrize('n, n_in, n_out', [(1, 3, 2), (9, 6, 4)])
def test_fc_gradients_on_other_shapes(n, n_in, n_out, rng):
    check_fc_gradients(f'FCLayer, N={n}', *fc_inputs(rng, n, n_in, n_out))


@pytest.mark.parametrize('kind', ['ReLU', 'Sigmoid'])   # the TODOs of case 2
def test_activation_gradients(kind, rng):
    check_activation_gradient(kind, rng.standard_normal((5, 7)) * 2, rng)
    with todo(f'layers.py: {kind}Layer.forward'), np.errstate(all='ignore'):
        big = probes.run('activation', kind=kind, u=np.array([[-1000.0, 1000.0]]))['out']
    if big is None or not np.all(np.isfinite(np.asarray(big, np.float64))):
        pytest.fail(f'{kind}Layer.forward gives NaN or inf at inputs of ±1000', pytrace=False)


def test_euclidean_gradient_with_targets(rng):
    check_loss_gradient('euclidean', 'EuclideanLossLayer with targets (N, K)', rng.standard_normal((6, 4)),
                        rng.random((6, 4)))


def test_weight_decay_shrinks_weights_not_biases(rng):
    check_sgd('SGD(α = 0.1, λ = 0.5): (W, b)', rng, 0.1, weight_decay=0.5, course_call=True, steps=2)


def test_mlp_learns_mnist_subset(mnist_subset):
    (x, labels), (x_test, labels_test) = mnist_subset
    with todo('the case 2 TODOs'):
        scores = probes.run('train_mlp', x=x, labels=labels, x_test=x_test, hidden=[64], epochs=3,
                            learning_rate=0.1, momentum=0.9, weight_decay=1e-4, batch=100)['scores']
    accuracy = np.mean(np.asarray(scores, np.float64).reshape(len(labels_test), -1).argmax(axis=1) == labels_test)
    if not accuracy > 0.85:
        pytest.fail(f'784-64-10 ReLU MLP reached a test accuracy of {accuracy:.3f} after 3 epochs on 3000 MNIST '
                    'images (α = 0.1, γ = 0.9, λ = 1e-4, batch 100); the course\'s code reaches about 0.9',
                    pytrace=False)
