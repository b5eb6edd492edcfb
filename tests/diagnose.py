"""Failures that teach: a TODO not done yet says so by name, and a wrong result says where it is wrong
and, when it is one of the usual mistakes, which one.

    with todo('layers.py: FCLayer.gradients'):   # NotImplementedError -> "... not implemented yet"
        layer.backward(delta)
    compare('grad_W', layer.grad_W, numerical, n)   # a failed test: largest mismatch + the mistake
"""
import contextlib

import numpy as np
import pytest

import probes

NOT_YET = 'not implemented yet'


@contextlib.contextmanager
def todo(name):
    """Run the block; a NotImplementedError fails the test with a message naming the TODO that raised
    it (the handout's message names file and function), not with a traceback. The failure is raised
    `from None`, so a report shows one message, not the NotImplementedError chained before it."""
    try:
        yield
    except NotImplementedError as error:
        text = str(error) if NOT_YET in str(error) else f'{name}: {NOT_YET}'
        try:
            pytest.fail(f'{text} (met in the test of {name})', pytrace=False)
        except pytest.fail.Exception as failure:
            raise failure from None


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


def sgd_reference(w, v, grad, lr, momentum, decay, mistake_name=None, form=None, nesterov=False):
    """(w, v) after one step of the right SGD rule (Nesterov's with nesterov), or of the named mistake
    of SGD_MISTAKES / NESTEROV_MISTAKES; form(∇E, w, λ, α) gives ∇J in place of the right ∇E + λ·w
    (see DECAY_MISTAKES)."""
    grad = form(grad, w, decay, lr) if form else grad + decay * w
    rule = {**SGD_MISTAKES, **NESTEROV_MISTAKES}.get(mistake_name, _nesterov if nesterov else _right)
    return rule(w, v, grad, lr, momentum)


def _right(w, v, g, lr, m):
    v = m * v - lr * g
    return w + v, v


def _nesterov(w, v, g, lr, m):
    v = m * v - lr * g
    return w + m * v - lr * g, v


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
NESTEROV_MISTAKES = {   # the same, for SGD with nesterov=True
    "Nesterov's look-ahead lost: w ← w + v is plain momentum; with self.nesterov the step is "
    'w ← w + γ·v − α·∇J, with v already updated':
        lambda w, v, g, lr, m: (w + m * v - lr * g, m * v - lr * g),
    "Nesterov's look-ahead on the wrong term: w ← w + v − α·∇J; γ scales the new v: w ← w + γ·v − α·∇J":
        lambda w, v, g, lr, m: (w + m * v - 2 * lr * g, m * v - lr * g),
    'wrong sign in the velocity: v ← γ·v + α·∇J climbs the gradient; the lecture has v ← γ·v − α·∇J, then '
    'w ← w + γ·v − α·∇J':
        lambda w, v, g, lr, m: (w + m * (m * v + lr * g) - lr * g, m * v + lr * g),
}
DECAY_MISTAKES = {   # name: (decay the bias too, how ∇J is formed from (∇E, w, λ, α))
    'weight decay on the bias: only the names in layer.decay (W) decay; use the decay argument, '
    'which is 0 for b (not self.weight_decay)': (True, lambda g, w, lam, lr: g + lam * w),
    'weight decay ignored: ∇J = ∇E + λ·w': (False, lambda g, w, lam, lr: g),
    'weight decay with the wrong sign: ∇J = ∇E + λ·w shrinks w': (False, lambda g, w, lam, lr: g - lam * w),
    'weight decay applied twice: λ·w belongs once in ∇J = ∇E + λ·w, not again in the step':
        (False, lambda g, w, lam, lr: g + 2 * lam * w),
    'weight decay not scaled by the learning rate: w ← w − α·(∇E + λ·w)':
        (False, lambda g, w, lam, lr: g + lam * w / lr),
}


def diagnose_steps(name, got, candidates, n=1):
    """Fail the test unless the trajectory `got` (list of arrays) matches candidates[None] (the right
    one); name the candidate it matches, else say where the first wrong step differs most."""
    right = candidates[None]
    if len(got) != len(right):
        pytest.fail(f'{name}: {len(got)} steps where {len(right)} were made', pytrace=False)
    for step, (mine, want) in enumerate(zip(got, right), 1):
        if not _close(np.asarray(mine, np.float64), np.asarray(want, np.float64)):
            break
    else:
        return
    for text, trajectory in candidates.items():
        if text and all(_close(np.asarray(a, np.float64), np.asarray(b, np.float64)) for a, b in zip(got, trajectory)):
            pytest.fail(f'{name} is wrong from step {step}. Diagnosis: {text}', pytrace=False)
    compare(f'{name} after step {step}', got[step - 1], right[step - 1], n)


def sgd_trajectory(W, b, grads, lr, momentum, decay, nesterov=False, mistake_name=None):
    """[(W, b) raveled after each step] of the right rule or of the named mistake (any of the three
    tables) for one layer; λ = decay on W, 0 on b unless the mistake decays the bias."""
    on_bias, form = DECAY_MISTAKES.get(mistake_name, (False, None))
    state = {'W': (W.copy(), np.zeros_like(W)), 'b': (b.copy(), np.zeros_like(b))}
    trajectory = []
    for grad_W, grad_b in grads:
        for p, grad, lam in (('W', grad_W, decay), ('b', grad_b, decay if on_bias else 0.0)):
            state[p] = sgd_reference(*state[p], grad, lr, momentum, lam, mistake_name, form, nesterov)
        trajectory.append(np.concatenate([state['W'][0].ravel(), state['b'][0].ravel()]))
    return trajectory


def check_sgd(name, rng, learning_rate, momentum=0.0, weight_decay=0.0, nesterov=False, fast=False,
              course_call=False, steps=4):
    """Run SGD (optimizer.py) on a layer W (3, 4), b (1, 4) with `steps` gradients drawn from rng and
    fail unless (W, b) follows the lecture's rule; a trajectory of a usual mistake that the settings
    can show (momentum's with γ > 0, Nesterov's, weight decay's with λ > 0) is named."""
    W, b = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    grads = [(rng.standard_normal((3, 4)), rng.standard_normal((1, 4))) for _ in range(steps)]
    with todo('optimizer.py: SGD._update_plain' + (' (or _update_fast)' if fast else '')):
        got = probes.run('sgd_trajectory', W=W, b=b, grads_W=np.array([g for g, _ in grads]),
                         grads_b=np.array([g for _, g in grads]), learning_rate=learning_rate, momentum=momentum,
                         weight_decay=weight_decay, nesterov=nesterov, fast=fast, course_call=course_call)
    mistakes = ((NESTEROV_MISTAKES if nesterov else SGD_MISTAKES) if momentum else {}) | (
        DECAY_MISTAKES if weight_decay else {})
    candidates = {mistake_name: sgd_trajectory(W, b, grads, learning_rate, momentum, weight_decay, nesterov,
                                               mistake_name) for mistake_name in (None, *mistakes)}
    trajectory = np.asarray(got['trajectory'], np.float64)
    diagnose_steps(name, list(trajectory) if trajectory.ndim == 2 else [], candidates)
