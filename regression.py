"""Lecture §1.1's regression examples: the inputs they need, and the closed-form fit to compare with.

There is no training loop here: every model is a Network trained by `Solver`.
  - linear / polynomial regression f(x) = β + w₁φ₁(x) + … + w_m φ_m(x) is linear regression on
    the features Φ = [φ₁(x), …, φ_m(x)] (`polynomial_features`): Network([FCLayer(m, 1)]) holds
    w (its W, (m, 1)) and β (its b), trained with loss.RegressionLossLayer (E = ½·MSE);
    `least_squares` gives the closed-form minimizer of the same E.
  - binary logistic regression P(t=1|x) = 1 / (1 + e^{-θᵀx}) is Network([FCLayer(784, 1)]) with
    loss.SigmoidCrossEntropyLossLayer, on the two-digit MNIST task of `two_digit_mnist`.
"""
import numpy as np

from dataloader import Dataset

BASES = ('monomial', 'legendre')


def scale_to_unit_interval(x, x_range):
    """u = (2x - (a + b)) / (b - a): maps x_range = (a, b) onto [-1, 1]; x (N,) or (N, 1) -> u (N,)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[1:] not in ((), (1,)):
        raise ValueError(f'x: expected one value per sample, shape (N,) or (N, 1); found {x.shape}')
    low, high = x_range
    if not high > low:
        raise ValueError(f'x_range {x_range!r}: expected (low, high) with low < high')
    return (2 * x.ravel() - (low + high)) / (high - low)


def polynomial_features(x, degree, x_range=(-1.0, 1.0), basis='monomial'):
    """Φ (N, m) with Φ[n, k-1] = φ_k(u_n), k = 1..m = degree, for x (N,) or (N, 1); float64.

    Why the scaling: x is first mapped onto u ∈ [-1, 1] (pass the training interval as x_range,
    the same for every split), so every |u^k| ≤ 1; raw x^m for x in [0, 10] would span 10^m, and no
    single learning rate could train w₁ and w_m together.
    basis 'monomial': φ_k = u^k, the lecture's form. For large m the columns u^k and u^{k+2} are
        nearly parallel, so the least-squares problem is ill-conditioned and SGD creeps along them.
    basis 'legendre': φ_k = √(2k+1) P_k(u), orthonormal for u uniform on [-1, 1]. The same space of
        polynomials of degree m (so the same least-squares fit), with a design matrix close to
        orthogonal: SGD trains degree 15 about as fast as degree 1.
    """
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
        raise ValueError(f'degree {degree!r}: expected an integer m >= 1')
    if basis not in BASES:
        raise ValueError(f'basis {basis!r}: expected one of {BASES}')
    u = scale_to_unit_interval(x, x_range)
    k = np.arange(1, degree + 1)
    if basis == 'monomial':
        return u[:, None] ** k
    return np.polynomial.legendre.legvander(u, degree)[:, 1:] * np.sqrt(2 * k + 1)


def least_squares(features, targets):
    """Closed-form (W (m, K), b (1, K)) minimizing Σ_n |t_n - (Φ_n W + b)|²: np.linalg.lstsq on [Φ, 1].

    features Φ (N, m), targets t (N, K). Returned in FCLayer's shapes, to compare with SGD's.
    """
    design = np.hstack([features, np.ones((len(features), 1))])
    solution = np.linalg.lstsq(design, targets, rcond=None)[0]
    return solution[:-1], solution[-1:]


def two_digit_mnist(data_root, negative=3, positive=5):
    """{'train', 'val', 'test'}: (X (N, 784) float32, t (N,) int64) of the images of two digits.

    t = 1 for `positive`, 0 for `negative`: the labels of binary logistic regression. X is the
    course's preprocessing (Dataset.batch); the splits are Dataset's, so val is never test.
    """
    if negative == positive:
        raise ValueError(f'two_digit_mnist: expected two different digits, got {negative} twice')
    data = {}
    for mode in ('train', 'val', 'test'):
        split = Dataset(data_root, mode)
        rows = np.flatnonzero((split.labels == negative) | (split.labels == positive))
        images, labels = split.batch(rows)
        data[mode] = images, (labels == positive).astype(np.int64)
    return data
