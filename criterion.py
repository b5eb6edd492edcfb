"""The loss layers (the course's criterion.py): softmax cross-entropy, Euclidean, and lecture §1.1's
binary logistic and regression losses.

Contract of a loss layer:
    forward(logit (N, K), gt) -> E, the loss averaged over the batch; also sets `.loss` and `.acc`
        (plain floats). gt holds integer labels (N,) or one-hot / soft targets t (N, K).
    backward() -> dE/dlogit (N, K), already divided by N, so layers below never average again.
A loss layer has no parameters (`trainable = False`).

Every loss layer takes reduction='mean' (the default, the lecture's E = 1/N Σ_n E⁽ⁿ⁾) or 'sum'
(PyTorch's word): with 'sum' backward() returns the gradient of Σ_n E⁽ⁿ⁾, N times the mean's, as
the course's students who return y − t have it, so the course's α = 0.001 trains as their notebooks
did; `.loss` stays the batch mean either way, so the printed lines do not change scale.
"""
import functools

import numpy as np

# what a criterion's `.acc` holds, by its `metric` attribute (absent: 'acc'; RegressionLossLayer: 'mse')
METRIC_NAMES = {'acc': 'accuracy', 'mse': 'mean squared error'}


def softmax_parts(logit):
    """(s, y, log Σ_j e^{s_j}) of logits u (N, K), with s = u - max_j u_j so that every e^{s_j} ≤ 1.

    y = softmax(u) = e^s / Σ_j e^{s_j} (N, K), and log y = s - log Σ_j e^{s_j} (the last is (N, 1)).
    """
    ### BEGIN SOLUTION case 1 2
    # numpy reduces along a short axis (K = 10) slowly: the max goes along the long axis of the
    # transposed copy and the sum is a product with a vector of ones, each ~4x faster
    s = logit - np.ascontiguousarray(logit.T).max(axis=0)[:, None]
    y = np.exp(s)
    total = y @ np.ones((y.shape[1], 1), y.dtype)
    y /= total
    return s, y, np.log(total)
    ### END SOLUTION


REDUCTIONS = ('mean', 'sum')


class LossLayer:
    """What every loss layer shares: no parameters, and the reduction of its gradient over the batch."""
    trainable = False

    def __init__(self, reduction='mean'):
        if not isinstance(reduction, str) or reduction not in REDUCTIONS:
            raise ValueError(f'{type(self).__name__}(reduction={reduction!r}): expected one of {REDUCTIONS}; '
                             "'sum' gives the gradient summed over the batch, 'mean' (default) its average")
        self.reduction = reduction


def reduced(backward):
    """backward() as written for the batch mean, times N when the layer's reduction is 'sum'
    (a new array: the mean gradient may be an array the layer keeps)."""
    @functools.wraps(backward)
    def backward_reduced(self):
        delta = backward(self)
        return delta * len(delta) if getattr(self, 'reduction', 'mean') == 'sum' else delta
    return backward_reduced


def check_targets(logit, gt):
    """gt as an array: integer labels (N,) in [0, K) or targets (N, K); clear error otherwise."""
    gt = np.asarray(gt)
    n, k = logit.shape
    if gt.shape == (n,) and np.issubdtype(gt.dtype, np.integer):
        if n and (gt.min() < 0 or gt.max() >= k):
            raise ValueError(f'labels must lie in 0..{k - 1}, found {gt.min()}..{gt.max()}')
        return gt
    if gt.shape == (n, k):
        return gt.astype(logit.dtype, copy=False)
    raise ValueError(f'gt of shape {gt.shape} and dtype {gt.dtype}: expected integer labels ({n},) '
                     f'or targets ({n}, {k}) for logits of shape {logit.shape}')


def accuracy(logit, gt):
    """Fraction of rows whose largest logit is the true class."""
    truth = gt if gt.ndim == 1 else gt.argmax(axis=1)
    return int(np.count_nonzero(logit.argmax(axis=1) == truth)) / len(truth)


def subtract_targets(y, gt):
    """y - t without building a one-hot matrix when gt holds labels. y is modified in place."""
    if gt.ndim == 1:
        y[np.arange(len(gt)), gt] -= 1
    else:
        y -= gt
    return y


class SoftmaxCrossEntropyLossLayer(LossLayer):
    """E = -(1/N) Σ_n Σ_k t_nk log y_nk with y = softmax(u); dE/du = (y - t) / N."""

    def forward(self, logit, gt):
        gt = check_targets(logit, gt)
        ### BEGIN SOLUTION case 1 2
        s, self.y, log_total = softmax_parts(logit)
        if gt.ndim == 1:   # -log y_{n,t_n} = log Σ_j e^{s_nj} - s_{n,t_n}: no one-hot matrix
            loss = (log_total.sum() - s[np.arange(len(gt)), gt].sum()) / len(gt)
        else:
            loss = -(gt * (s - log_total)).sum(axis=1).mean()
        self.gt, self.loss, self.acc = gt, float(loss), accuracy(logit, gt)
        ### END SOLUTION
        return self.loss

    @reduced
    def backward(self):
        """dE/du = (y - t) / N (N, K), a new array."""
        ### BEGIN SOLUTION case 1 2
        delta = subtract_targets(self.y.copy(), self.gt)
        delta /= len(self.gt)
        return delta
        ### END SOLUTION


class EuclideanLossLayer(LossLayer):
    """E = (1/N) Σ_n ½ Σ_k (t_nk - y_nk)², with y the network's output; dE/dy = (y - t) / N."""

    def forward(self, logit, gt):
        gt = check_targets(logit, gt)
        ### BEGIN SOLUTION case 2
        self.diff = subtract_targets(logit.copy(), gt)
        self.loss = float(0.5 * np.sum(self.diff ** 2) / len(logit))
        self.acc = accuracy(logit, gt)
        ### END SOLUTION
        return self.loss

    @reduced
    def backward(self):
        ### BEGIN SOLUTION case 2
        return self.diff / len(self.diff)
        ### END SOLUTION


def check_binary_targets(logit, gt):
    """t as an array shaped like the logit z ((N,) or (N, 1)), holding only 0 and 1; clear error otherwise."""
    logit, gt = np.asarray(logit), np.asarray(gt)
    if logit.ndim not in (1, 2) or logit.shape[1:] not in ((), (1,)) or gt.shape not in (
            (len(logit),), (len(logit), 1)):
        raise ValueError(f'binary loss: expected one logit per sample, z (N,) or (N, 1), and targets '
                         f't (N,) or (N, 1); found z {logit.shape} and t {gt.shape}')
    wrong = ~np.isin(gt, (0, 1))
    if wrong.any():
        raise ValueError(f'binary targets t must be 0 or 1 (map the two classes to 0 and 1 first); '
                         f'found {np.unique(gt[wrong])[:5].tolist()}')
    return gt.reshape(logit.shape).astype(logit.dtype)


class SigmoidCrossEntropyLossLayer(LossLayer):
    """Binary logistic regression's loss on the logit z = θᵀx, with h = P(t=1|x) = 1 / (1 + e^{-z}).

    E = -(1/N) Σ_n [t_n log h_n + (1 - t_n) log(1 - h_n)];  dE/dz = (h - t) / N.
    log h = -log(1 + e^{-z}) and log(1 - h) = -log(1 + e^{z}) are taken with np.logaddexp(0, ·),
    so |z| = 1000 gives a finite loss and no warning. Accuracy uses the lecture's test rule:
    class 1 when P(t=1|x) > P(t=0|x), i.e. when z > 0.
    """

    def forward(self, logit, gt):
        self.t = check_binary_targets(logit, gt)
        softplus_minus, softplus_plus = np.logaddexp(0, -logit), np.logaddexp(0, logit)
        self.h = np.exp(-softplus_minus)
        self.loss = float(np.mean(self.t * softplus_minus + (1 - self.t) * softplus_plus))
        self.acc = float(np.mean((logit > 0) == (self.t == 1)))
        return self.loss

    @reduced
    def backward(self):
        return (self.h - self.t) / len(self.t)


class RegressionLossLayer(EuclideanLossLayer):
    """Regression on the mean squared error: trains exactly as EuclideanLossLayer, E = ½·MSE.

    Its targets are values, not classes, so an accuracy means nothing; it declares metric = 'mse'
    and its `.acc` slot holds MSE = (1/(N K)) Σ_n Σ_k (t_nk - y_nk)², which the Solver records
    and prints as the mean squared error. Targets t: (N, K) floats, e.g. (N, 1) for f(x).
    """
    metric = 'mse'

    def forward(self, logit, gt):
        super().forward(logit, gt)
        self.acc = float(np.mean(self.diff ** 2))
        return self.loss
