"""Failures that teach: a TODO not done yet says so by name, and a wrong result says where it is wrong
and, when it is one of the usual mistakes, which one.

    with todo('layers.py: FCLayer.gradients'):   # NotImplementedError -> "... not implemented yet"
        layer.backward(delta)
    compare('grad_W', layer.grad_W, numerical, n)   # a failed test: largest mismatch + the mistake
"""
import contextlib

import numpy as np
import pytest

NOT_YET = 'not implemented yet'


@contextlib.contextmanager
def todo(name):
    """Run the block; a NotImplementedError fails the test with a message naming the TODO that raised
    it (the handout's message names file and function), not with a traceback."""
    try:
        yield
    except NotImplementedError as error:
        text = str(error) if NOT_YET in str(error) else f'{name}: {NOT_YET}'
        pytest.fail(f'{text} (met in the test of {name})', pytrace=False)


def _close(got, want):
    scale = max(float(np.max(np.abs(want))), 1e-12)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-4, atol=1e-6 * scale))


def mistake(got, want, n):
    """The name of a usual mistake that turns the right result `want` into `got`, or None.
    n is the batch size N of the computation."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        if got.shape == want.shape[::-1]:
            return f'transposed shape: {got.shape} where {want.shape} is expected (xᵀδ, not δᵀx)'
        if want.ndim == 2 and want.shape[0] == 1 and got.shape == (n, want.shape[1]):
            return (f'bias gradient not summed over the batch: shape {got.shape}, expected {want.shape} '
                    f'= Σ_n δ_n (sum over axis 0, keepdims=True)')
        return f'shape {got.shape} where {want.shape} is expected'
    if not np.all(np.isfinite(got)):
        return 'NaN or inf in the result: an exp overflowed, or a log of 0'
    if not np.any(want):
        return None
    for factor, text in ((n, f'N = {n} times too large: summed over the batch instead of averaged '
                             '(the loss layer divides by N, once)'),
                         (1 / n, f'N = {n} times too small: averaged twice (the loss layer already divided '
                                 'by N; the layers below must not divide again)'),
                         (-1, 'wrong sign: yours is minus the right value')):
        if factor != -1 and n == 1:   # with one sample, N times anything is itself: no batch-size mistake
            continue
        if _close(got, factor * want):
            return text
    if want.ndim == 2 and want.shape[0] == want.shape[1] and _close(got, want.T):
        return 'transposed (xᵀδ, not δᵀx)'
    return None


def compare(name, got, want, n, tol=1e-6, what='expected'):
    """Fail the test unless `got` matches `want` (relative error below tol), saying where it differs
    most and which usual mistake explains the difference, if one does."""
    if got is None:
        pytest.fail(f'{name} is None: the code computes nothing, or forgets to return or store it', pytrace=False)
    got_array = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got_array.shape == want.shape and np.all(np.isfinite(got_array)):
        error = np.linalg.norm(got_array - want) / max(np.linalg.norm(got_array) + np.linalg.norm(want), 1e-300)
        if error < tol:
            return
        index = np.unravel_index(np.argmax(np.abs(got_array - want)), want.shape)
        where = (f'relative error {error:.1e} (want < {tol:g}); '
                 + (f'largest mismatch at index {tuple(int(i) for i in index)}: ' if want.ndim else '')
                 + f'yours {got_array[index]:.6g} vs {what} {want[index]:.6g}')
    else:
        where = f'shape {got_array.shape}, {what} shape {want.shape}'
    found = mistake(got_array, want, n)
    pytest.fail(f'{name} is wrong: {where}. Diagnosis: '
                + (found or 'none of the usual mistakes; compare your code with the formula in the TODO'),
                pytrace=False)


def sgd_reference(w, v, grad, lr, momentum, decay, mistake_name=None, form=None):
    """(w, v) after one step of the right SGD rule, or of one of SGD_MISTAKES; form(∇E, w, λ, α)
    gives ∇J in place of the right ∇E + λ·w (see DECAY_MISTAKES)."""
    grad = form(grad, w, decay, lr) if form else grad + decay * w
    return SGD_MISTAKES.get(mistake_name, _right)(w, v, grad, lr, momentum)


def _right(w, v, g, lr, m):
    v = m * v - lr * g
    return w + v, v


SGD_MISTAKES = {   # name: one step (w, v, ∇J, α, γ) -> (w, v) as the mistaken code computes it; mistakes
    # that move w alike are one entry (v ← γ·(v − α·∇J) with w ← w + v moves w as w ← w + γ·v does)
    'momentum applied to the wrong term: γ scales the new step too (v ← γ·(v − α·∇J), or w ← w + γ·v); '
    'the lecture has v ← γ·v − α·∇J, w ← w + v':
        lambda w, v, g, lr, m: (w + m * (v - lr * g), m * (v - lr * g)),
    'momentum applied to the wrong term: v ← v − α·∇J, w ← w + γ·v; γ belongs in v ← γ·v − α·∇J':
        lambda w, v, g, lr, m: (w + m * (v - lr * g), v - lr * g),
    'wrong sign: v ← γ·v + α·∇J (or w ← w − v) climbs the gradient; the lecture has v ← γ·v − α·∇J, '
    'w ← w + v':
        lambda w, v, g, lr, m: (w + m * v + lr * g, m * v + lr * g),
    "momentum lost: the velocity is not kept between steps (write into state['v'] in place, v[...] = ...)":
        lambda w, v, g, lr, m: (w - lr * g, v),
}
DECAY_MISTAKES = {   # name: (decay the bias too, how ∇J is formed from (∇E, w, λ, α))
    'weight decay on the bias: only the names in layer.decay (W) decay; use the decay argument, '
    'which is 0 for b': (True, lambda g, w, lam, lr: g + lam * w),
    'weight decay ignored: ∇J = ∇E + λ·w': (False, lambda g, w, lam, lr: g),
    'weight decay with the wrong sign: ∇J = ∇E + λ·w shrinks w': (False, lambda g, w, lam, lr: g - lam * w),
    'weight decay not scaled by the learning rate: w ← w − α·(∇E + λ·w)':
        (False, lambda g, w, lam, lr: g + lam * w / lr),
}


def diagnose_steps(name, got, candidates, n=1):
    """Fail the test unless the trajectory `got` (list of arrays) matches candidates[None] (the right
    one); name the candidate it matches, else say where the first wrong step differs most."""
    right = candidates[None]
    for step, (mine, want) in enumerate(zip(got, right), 1):
        if not _close(np.asarray(mine, np.float64), np.asarray(want, np.float64)):
            break
    else:
        return
    for text, trajectory in candidates.items():
        if text and all(_close(np.asarray(a, np.float64), np.asarray(b, np.float64)) for a, b in zip(got, trajectory)):
            pytest.fail(f'{name} is wrong from step {step}. Diagnosis: {text}', pytrace=False)
    compare(f'{name} after step {step}', got[step - 1], right[step - 1], n)


class OneLayer:
    """A layer with a weight W and a bias b, the gradients the test sets, and the parameter protocol."""
    params, decay, trainable = ('W', 'b'), ('W',), True

    def __init__(self, rng):
        self.W, self.b = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
        self.grad_W, self.grad_b = np.zeros_like(self.W), np.zeros_like(self.b)


def run_sgd(optimizer, layer, grads, model=None):
    """[(W, b) after each step] for the given gradients; step(model) when a model is given (the
    course's case 2), else step()."""
    trajectory = []
    for grad_W, grad_b in grads:
        layer.grad_W, layer.grad_b = grad_W.copy(), grad_b.copy()
        optimizer.step(model) if model is not None else optimizer.step()
        trajectory.append(np.concatenate([layer.W.ravel(), layer.b.ravel()]))
    return trajectory


def expected_sgd(layer, grads, lr, momentum, decay_on, mistakes, form=None):
    """{mistake or None: the trajectory that rule gives}: decay_on maps 'W', 'b' to λ."""
    result = {}
    for name in (None, *mistakes):
        state = {p: (getattr(layer, p).copy(), np.zeros_like(getattr(layer, p))) for p in ('W', 'b')}
        result[name] = []
        for grad_W, grad_b in grads:
            for p, grad in (('W', grad_W), ('b', grad_b)):
                state[p] = sgd_reference(*state[p], grad, lr, momentum, decay_on[p], name, form)
            result[name].append(np.concatenate([state['W'][0].ravel(), state['b'][0].ravel()]))
    return result
