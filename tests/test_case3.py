"""Case 3's TODOs: the convolution's forward pass and gradients (conv.py) and max pooling's backward
(pooling.py), on the course's CNN-case layers.

Each TODO has a test that calls it alone against a plain loop written here from the formula, then a
gradient check runs forward and backward together. One not done yet fails with "not implemented
yet", a wrong one with a diagnosis: the usual mistakes of a convolution (kernel flipped against the
forward, padding forgotten in backward, bias gradient not summed over N, H, W) and of pooling
(gradient sent to every tied cell) are named. The code under test is called through tests/probes.py.
"""
import numpy as np
import pytest

import probes
from conv import conv2d_reference
from diagnose import compare, diagnose_steps, todo
from gradcheck import numerical_gradient_at

SHAPES = {'pad 1, stride 1': ((2, 3, 5, 6), 4, 3, 1, 1), 'pad 1, stride 2': ((2, 2, 7, 5), 3, 3, 1, 2),
          'pad 0, 2x2 kernel': ((3, 2, 4, 6), 2, 2, 0, 1)}
FORWARD, GRADIENTS = 'conv.py: ConvLayer.correlate', 'conv.py: ConvLayer.gradients'
BACKWARD = 'conv.py: ConvLayer.backward'
FLIPPED = ('kernel flipped against the forward: the forward is a cross-correlation, '
           'u[n, f, y, x] = b[f] + Σ_c Σ_i Σ_j W[f, c, i, j] · xp[n, c, s·y + i, s·x + j]; use W[f, c, i, j] '
           'at offset (i, j) (weight_matrix() orders the columns as patches() does), '
           'never W[f, c, kh − 1 − i, kw − 1 − j]')


def conv_case(name, rng):
    """{x (N, C, H, W), W (F, C, k, k), b (F,), pad, stride, δ (N, F, Ho, Wo)} in float64, for one of SHAPES:
    the inputs of the conv_* probes."""
    (N, C, H, Wd), filters, kernel, pad, stride = SHAPES[name]
    Ho, Wo = (H + 2 * pad - kernel) // stride + 1, (Wd + 2 * pad - kernel) // stride + 1
    return {'W': rng.standard_normal((filters, C, kernel, kernel)), 'b': rng.standard_normal(filters),
            'x': rng.standard_normal((N, C, H, Wd)), 'pad': pad, 'stride': stride,
            'delta': rng.standard_normal((N, filters, Ho, Wo))}


def backward_loops(delta, x, W, stride, pad):
    """(dE/dxp (N, C, H + 2p, W + 2p), grad_W, grad_b) by the sums, one kernel offset at a time:
    dE/dxp[n, c, s·y + i, s·x + j] += Σ_f δ[n, f, y, x] W[f, c, i, j]."""
    N, C, H, Wd = x.shape
    _, _, Ho, Wo = delta.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, grad_W = np.zeros_like(xp), np.zeros_like(W)
    for i in range(W.shape[2]):
        for j in range(W.shape[3]):
            window = (slice(None), slice(None), slice(i, i + stride * Ho, stride), slice(j, j + stride * Wo, stride))
            dxp[window] += np.einsum('nfyx,fc->ncyx', delta, W[:, :, i, j])
            grad_W[:, :, i, j] = np.einsum('nfyx,ncyx->fc', delta, xp[window])
    return dxp, grad_W, delta.sum(axis=(0, 2, 3))


def without(case, *names):
    return {key: value for key, value in case.items() if key not in names}


@pytest.mark.parametrize('name', SHAPES)
def test_conv_forward_is_the_cross_correlation(name, rng):
    case = conv_case(name, rng)
    x, W, b, pad, stride = case['x'], case['W'], case['b'], case['pad'], case['stride']
    with todo(FORWARD):
        u = probes.run('conv_forward', **without(case, 'delta'))['u']
    diagnose_steps('ConvLayer.forward: u', [u], {
        None: [conv2d_reference(x, W, b, stride, pad)],
        FLIPPED: [conv2d_reference(x, W[:, :, ::-1, ::-1], b, stride, pad)],
        'bias missing: u = P W₂ᵀ + b, b (F,) added to every output pixel of its filter':
            [conv2d_reference(x, W, 0 * b, stride, pad)]}, len(x))


@pytest.mark.parametrize('name', SHAPES)
def test_conv_gradients_are_the_sums_over_the_batch_and_the_pixels(name, rng):
    case = conv_case(name, rng)
    with todo(GRADIENTS):
        out = probes.run('conv_gradients', **case)
    _, grad_W, grad_b = backward_loops(case['delta'], case['x'], case['W'], case['stride'], case['pad'])
    n = len(case['x'])
    if np.shape(out['grad_b']) != grad_b.shape:
        pytest.fail(f'ConvLayer.gradients: grad_b has shape {np.shape(out["grad_b"])}, expected {grad_b.shape}. '
                    'Diagnosis: bias gradient not summed over N, H and W: grad_b[f] = Σ_n Σ_y Σ_x δ[n, f, y, x], '
                    'one number per filter (with δ as rows (N·Ho·Wo, F): the sum over axis 0)', pytrace=False)
    compare('ConvLayer.gradients: grad_b', out['grad_b'], grad_b, n)
    diagnose_steps('ConvLayer.gradients: grad_W', [out['grad_W']],
                   {None: [grad_W], FLIPPED: [grad_W[:, :, ::-1, ::-1]]}, n)


@pytest.mark.parametrize('name', SHAPES)
def test_conv_backward_is_the_gradient_of_the_input(name, rng):
    case = conv_case(name, rng)
    x, W, delta, p, stride = case['x'], case['W'], case['delta'], case['pad'], case['stride']
    with todo(BACKWARD):
        dx = probes.run('conv_backward', **case, alone=True)['dx']   # backward's own TODO alone: dE/dx
    H, Wd = x.shape[2:]
    dxp = backward_loops(delta, x, W, stride, p)[0]
    flipped = backward_loops(delta, x, W[:, :, ::-1, ::-1], stride, p)[0]
    forgot = ('padding forgotten in backward: the forward ran on xp, x with p = {} zeros around it; dE/dx is '
              'dE/dxp without that border, dE/dxp[:, :, p:p + H, p:p + W]').format(p)
    candidates = {None: [dxp[:, :, p:p + H, p:p + Wd]], FLIPPED: [flipped[:, :, p:p + H, p:p + Wd]]}
    if p:
        candidates.update({forgot: [dxp]}, **{forgot + ' (cut from the start, not from p)': [dxp[:, :, :H, :Wd]]})
    diagnose_steps('ConvLayer.backward: dE/dx', [dx], candidates, len(x))


def test_conv_gradients_match_the_numerical_ones(rng):
    """backward after forward against the central differences of E = Σ u · δ (so dE/du = δ)."""
    case = conv_case('pad 1, stride 2', rng)
    with todo(FORWARD):
        probes.run('conv_forward', **without(case, 'delta'))
    with todo(BACKWARD):
        out = probes.run('conv_backward', **case)
    for name, key in (('x', 'dx'), ('W', 'grad_W'), ('b', 'grad_b')):
        label = 'ConvLayer.backward: dE/dx' if name == 'x' else f'ConvLayer.gradients: grad_{name}'
        numerical = numerical_gradient_at(lambda values: objective_at(case, name, values), case[name])
        compare(label, out[key], numerical, len(case['x']), what='numerical')


def objective_at(case, name, values):
    """[E = Σ u · δ of the forward pass with case[name] replaced by each of values]: dE/du is δ."""
    return [float(np.sum(u * case['delta']))
            for u in probes.outputs('conv_forward', 'u', name, values, **without(case, name, 'delta'))]


TIES = np.array([[1., 1., 0., 2.],    # windows: four equal values; the max twice in the second row;
                 [1., 1., 2., 2.],    # a single max; all zeros, as a ReLU's output often is
                 [5., 0., 0., 0.],
                 [3., 4., 0., 0.]])[None, None]
POOL_DELTA = np.array([[[[10., 20.], [30., 40.]]]])


def pool_routes(x, delta, kernel, pick):
    """dE/dx of max pooling (stride = kernel, no padding) with δ sent to the cells `pick(window)` chooses."""
    grad = np.zeros_like(x)
    for n, c, y, xx in np.ndindex(delta.shape):
        rows, cols = slice(y * kernel, (y + 1) * kernel), slice(xx * kernel, (xx + 1) * kernel)
        grad[n, c, rows, cols] += delta[n, c, y, xx] * pick(x[n, c, rows, cols])
    return grad


def first_max(window):
    chosen = np.zeros(window.size)
    chosen[np.argmax(window)] = 1   # argmax: the first maximum in row-major order
    return chosen.reshape(window.shape)


@pytest.mark.parametrize('x, delta', [(TIES, POOL_DELTA), (None, None)], ids=['ties', 'random'])
def test_pooling_backward_sends_each_windows_gradient_to_its_first_maximum(x, delta, rng):
    if x is None:
        x, delta = rng.standard_normal((2, 3, 6, 4)), rng.standard_normal((2, 3, 3, 2))
    with todo('pooling.py: MaxPoolingLayer.backward'):
        grad = probes.run('pool_backward', x=x, delta=delta, kernel=2)['dx']
    diagnose_steps('MaxPoolingLayer.backward: dE/dx', [grad], {
        None: [pool_routes(x, delta, 2, first_max)],
        'gradient sent to every tied cell: a window passes δ to one cell only, the first maximum in row-major '
        'order (self.winner holds its offset i·k + j), as PyTorch does':
            [pool_routes(x, delta, 2, lambda w: (w == w.max()) * 1.0)],
        'gradient sent to every cell of the window: only the maximum got through the forward pass':
            [pool_routes(x, delta, 2, np.ones_like)]}, len(x))


def test_a_small_convnet_learns_mnist_digits(course_data):
    """conv 3×3×8 -> ReLU -> pool -> flatten -> FC on 2,000 training images, 2 epochs of Adam: only
    a right forward and backward reach 85% on 1,000 test images (chance is 10%)."""
    train, test = course_data
    with todo(FORWARD), todo(GRADIENTS):
        scores = probes.run('train_convnet', x=train.inputs[:2000], labels=train.targets[:2000],
                            x_test=test.inputs[:1000], epochs=2, learning_rate=0.002, batch=50)['scores']
    labels = np.argmax(test.targets[:1000], axis=1)   # the targets are one-hot rows
    accuracy = np.mean(np.asarray(scores, np.float64).reshape(len(labels), -1).argmax(axis=1) == labels)
    assert accuracy >= 0.85, f'test accuracy {accuracy:.3f} after training: expected >= 0.85'
