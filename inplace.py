"""The optimizers' fast path: in-place pieces of their updates that allocate nothing per step.

Each function computes a piece of a rule's formula (named in its docstring) into arrays it is given;
an `out` that is None (a piece of scratch of the wrong dtype) makes numpy allocate instead, with the
same result. optimizer.py shows the textbook form of every rule beside its use of these.
"""
import numpy as np

BLOCK = 2 ** 18     # elements per piece of a parameter in the fast update (see blocks)


def blocks(param, grad, *states):
    """The arrays cut into matching flat pieces of BLOCK elements, or whole if one is not
    C-contiguous. The passes of an update over a piece of 1 MiB (float32) find it in the cache,
    where a whole large weight would be read from memory once per pass. Pieces that small add a
    Python round trip each: on a 2 MiB-L2 EPYC, step() of one weight (main-thread CPU, median)
    with 32768 / 2**18 elements per piece / whole took, SGD with momentum: 784x256 72 / 64 / 64 us,
    3136x1024 1699 / 1433 / 1566 us; Adam: 784x256 222 / 200 / 201 us, 3136x1024 4278 / 4223 / 4720 us."""
    arrays = (param, grad, *states)
    if param.size <= BLOCK or not all(a.flags.c_contiguous for a in arrays):
        return [arrays]
    flat = [a.reshape(-1) for a in arrays]
    return [[a[i:i + BLOCK] for a in flat] for i in range(0, param.size, BLOCK)]


def views_like(scratch, array):
    """Two pieces of `scratch` viewed with the shape of `array`, or (None, None) (numpy allocates)
    when it is too small or of another dtype (a float64 b beside a float32 W stays float64)."""
    if scratch is None or 2 * array.size > scratch.size or array.dtype != scratch.dtype:
        return None, None
    return scratch[:array.size].reshape(array.shape), scratch[array.size:2 * array.size].reshape(array.shape)


def decayed_gradient(grad, param, decay, scratch):
    """(∇J, the other piece of scratch): ∇J = ∇E + λ·w in the first piece of scratch, or ∇E itself."""
    first, second = scratch
    if decay:
        grad = np.add(grad, np.multiply(param, decay, out=first), out=first)
    return grad, second


def adaptive_step(param, numerator, second_moment, tmp, rate, scale, eps):
    """w ← w − rate·numerator / (scale·√second_moment + ε), in place; tmp (or None) is overwritten.

    Computed as w − (rate/scale)·numerator / (√second_moment + ε/scale): one pass fewer.
    """
    tmp = np.sqrt(second_moment, out=tmp)
    tmp += eps / scale
    tmp = np.divide(numerator, tmp, out=tmp)
    tmp *= rate / scale
    param -= tmp


def flush_subnormals(array, below=None):
    """Set entries with |v| < below to zero, in place; by default below is the smallest normal
    float, so exactly the subnormal entries are zeroed.

    Velocities of weights that stop receiving gradient decay as γ^t into subnormal floats, whose
    arithmetic is 10-100× slower on x86; numpy cannot switch the CPU to flush-to-zero, so we do it.
    """
    below = np.finfo(array.dtype).tiny if below is None else below
    np.copyto(array, 0, where=np.abs(array) < below)
