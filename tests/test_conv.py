"""The CNN case's layers: gradient checks in float64 against central differences (relative error
<= 1e-7, the project's diagnosis on failure), the convolution against its plain reference loop,
max pooling's ties, the reshapes, and a small whole ConvNet."""
import numpy as np
import pytest

from conv import conv2d_reference
from criterion import SoftmaxCrossEntropyLossLayer
from diagnose import compare
from gradcheck import numerical_gradient
from layers import ConvLayer, FCLayer, MaxPoolingLayer, ReLULayer, ReshapeLayer
from network import Network

TOL = 1e-7
CONV_CASES = {   # id: (input shape (N, C, H, W), out channels, kernel, pad, stride)
    'pad0-stride1': ((2, 3, 5, 6), 4, 3, 0, 1),
    'pad1-stride1': ((2, 2, 6, 4), 3, 3, 1, 1),
    'pad1-stride2': ((2, 2, 7, 5), 3, 3, 1, 2),
    'pad0-stride2-kernel2': ((3, 1, 6, 8), 2, 2, 0, 2),
    'pad2-kernel5-one-image': ((1, 2, 5, 7), 3, 5, 2, 1),
}


def check_gradients(layer, x, rng, names=()):
    """For E = Σ forward(x) ⊙ R with a fixed random R (so dE/d(out) = R): dE/dx and the named
    parameters' gradients against central differences, each through `compare`."""
    R = rng.standard_normal(layer.forward(x).shape)
    objective = lambda: np.sum(layer.forward(x) * R)
    objective()
    compare('dE/dx', layer.backward(R), numerical_gradient(objective, x), len(x), tol=TOL)
    for name in names:
        objective()
        layer.backward(R)
        analytic = getattr(layer, 'grad_' + name).copy()
        compare('grad_' + name, analytic, numerical_gradient(objective, getattr(layer, name)), len(x), tol=TOL)


def conv_layer(case, rng, algorithm='auto'):
    shape, filters, kernel, pad, stride = CONV_CASES[case]
    layer = ConvLayer(shape[1], filters, kernel, pad, stride=stride, init='xavier', rng=1, dtype=np.float64,
                      algorithm=algorithm)
    layer.b = rng.standard_normal(filters)
    return layer, rng.standard_normal(shape)


@pytest.mark.parametrize('case', CONV_CASES)
def test_convolution_is_the_reference_cross_correlation(case, rng):
    layer, x = conv_layer(case, rng)
    u = layer.forward(x)
    compare('u', u, conv2d_reference(x, layer.W, layer.b, layer.stride, layer.pad), len(x), tol=1e-12)
    assert u.shape == layer.output_shape(x.shape)


@pytest.mark.parametrize('case', CONV_CASES)
def test_convolution_gradients_match_the_numerical_ones(case, rng):
    layer, x = conv_layer(case, rng)
    check_gradients(layer, x, rng, ('W', 'b'))


FFT_CASES = [case for case, (_, _, kernel, pad, stride) in CONV_CASES.items() if stride == 1 and pad < kernel]


@pytest.mark.parametrize('case', FFT_CASES)
def test_the_fft_path_is_the_reference_with_the_numerical_gradients(case, rng):
    """fastconv.py in float64 (forced: 'auto' keeps float64 on the plain path): u against the reference
    loops, dE/dx, grad_W and grad_b against central differences."""
    layer, x = conv_layer(case, rng, algorithm='fft')
    compare('u', layer.forward(x), conv2d_reference(x, layer.W, layer.b, 1, layer.pad), len(x), tol=1e-12)
    assert layer.cols is None and layer._spectra is not None
    check_gradients(layer, x, rng, ('W', 'b'))


@pytest.mark.parametrize('channels, filters, size', [(1, 32, 28), (32, 64, 14)], ids=['conv1', 'conv2'])
def test_the_fft_path_in_float32_is_the_reference_to_rounding_at_the_course_shapes(channels, filters, size, rng):
    """The CNN case's two layers (5×5, pad 2), float32: u within 1e-5 of the output's scale of the float64
    reference loops; dE/dx, grad_W, grad_b within 1e-5 of the float64 plain path's."""
    x = rng.standard_normal((16, channels, size, size)).astype(np.float32)
    delta = rng.standard_normal((16, filters, size, size)).astype(np.float32)
    fast, plain = (ConvLayer(channels, filters, 5, 2, rng=3, dtype=dtype, algorithm=algorithm)
                   for dtype, algorithm in ((np.float32, 'fft'), (np.float64, 'gemm')))
    fast.b[:] = plain.b[:] = rng.standard_normal(filters)
    u, dx = fast.forward(x), fast.backward(delta)
    scale = lambda want: np.abs(want).max()
    want = conv2d_reference(x.astype(np.float64), plain.W, plain.b, 1, 2)
    assert u.dtype == dx.dtype == fast.grad_W.dtype == np.float32
    assert np.abs(u - want).max() <= 1e-5 * scale(want)
    plain.forward(x.astype(np.float64))
    for name, got, want in (('dE/dx', dx, plain.backward(delta.astype(np.float64))),
                            ('grad_W', fast.grad_W, plain.grad_W), ('grad_b', fast.grad_b, plain.grad_b)):
        assert np.abs(got - want).max() <= 1e-5 * scale(want), name


def test_auto_takes_the_fft_path_for_the_deep_float32_layer_only(rng):
    """build_convnet's second layer (depth 32·5·5) by FFT, its first (depth 25) and float64 by the patch GEMM;
    a network's training step gives the plain path's gradients either way."""
    from network import build_convnet
    nets = {algorithm: build_convnet(seed=4) for algorithm in ('auto', 'gemm')}
    for layer in (layer for layer in nets['gemm'].layers if isinstance(layer, ConvLayer)):
        layer.algorithm = 'gemm'
    x = rng.random((8, 784), dtype=np.float32)
    for net in nets.values():
        net.forward(x)
    first, second = (layer for layer in nets['auto'].layers if isinstance(layer, ConvLayer))
    assert first.cols is not None and first._spectra is None and second._spectra is not None
    for net in nets.values():
        net.backward(np.ones((8, 10), np.float32) / 8, input_grad=False)
    for fast, plain in zip(*(net.trainable_layers() for net in nets.values())):
        assert np.abs(fast.grad_W - plain.grad_W).max() <= 1e-5 * np.abs(plain.grad_W).max(), fast
    deep = ConvLayer(32, 64, 5, 2, dtype=np.float64)
    deep.forward(np.zeros((1, 32, 14, 14)))
    assert deep._spectra is None and deep.cols is not None
    three = ConvLayer(64, 64, 3, 1)   # depth 576, but 3×3 kernels: the FFT path did not pay (fastconv.MIN_KERNEL)
    three.forward(np.zeros((2, 64, 14, 14), np.float32))
    assert three._spectra is None and three.cols is not None


def test_convolution_is_pytorchs_cross_correlation_not_flipped():
    """A 3×3 kernel with a single 1 at its top-left corner (i, j) = (0, 0) copies xp[y, x] to u[y, x]:
    with padding 1 the output is the input shifted one pixel down and right; a flipped kernel shifts it up."""
    layer = ConvLayer(1, 1, 3, 1, dtype=np.float64)
    layer.W[...] = 0
    layer.W[0, 0, 0, 0] = 1
    x = np.arange(1.0, 13.0).reshape(1, 1, 3, 4)
    u = layer.forward(x)[0, 0]
    assert np.array_equal(u[1:, 1:], x[0, 0, :-1, :-1]) and not u[0].any() and not u[:, 0].any()


@pytest.mark.parametrize('case, algorithm', [('pad1-stride2', 'auto'), ('pad1-stride1', 'fft')])
def test_eval_mode_runs_in_chunks_with_the_training_result(case, algorithm, rng, monkeypatch):
    import conv
    layer, x = conv_layer(case, rng, algorithm)
    want = layer.forward(x)
    monkeypatch.setattr(conv, 'EVAL_CHUNK', 1)
    layer.training = False
    compare('u in eval mode', layer.forward(x), want, len(x), tol=1e-14)
    assert layer.cols is None and layer._spectra is None   # nothing kept for a backward that eval mode never runs


def test_the_patch_matrix_is_freed_after_backward(rng):
    layer, x = conv_layer('pad1-stride1', rng)
    layer.backward(np.ones(layer.forward(x).shape))
    assert layer.cols is None
    with pytest.raises(RuntimeError, match='without a training-mode forward'):
        layer.backward(np.ones(layer.output_shape(x.shape)))


@pytest.mark.parametrize('case, algorithm', [('pad1-stride2', 'auto'), ('pad1-stride1', 'fft')])
def test_batches_of_changing_size_reuse_the_patch_memory_without_mixing_them(case, algorithm, rng):
    """Training keeps P's memory across batches: each batch's gradients are still those of a fresh layer."""
    layer, _ = conv_layer(case, rng, algorithm)
    for n in (3, 1, 2):   # a smaller batch after a larger one, then a larger one again
        x = rng.standard_normal((n,) + CONV_CASES[case][0][1:])
        delta = rng.standard_normal(layer.output_shape(x.shape))
        fresh, _ = conv_layer(case, rng, algorithm)
        fresh.forward(x)
        layer.forward(x)
        compare('dE/dx', layer.backward(delta), fresh.backward(delta), n, tol=1e-14)
        compare('grad_W', layer.grad_W, fresh.grad_W, n, tol=1e-14)


def test_pooling_backward_takes_a_delta_in_either_memory_layout(rng):
    """A ConvLayer's output is channels-last in memory, the δ a ReshapeLayer sends back is not."""
    x, delta = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((2, 3, 2, 3))
    channels_last, contiguous = MaxPoolingLayer(2), MaxPoolingLayer(2)
    channels_last.forward(x.transpose(0, 3, 1, 2))
    contiguous.forward(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    want = contiguous.backward(delta)
    compare('dE/dx', channels_last.backward(delta), want, len(x), tol=1e-14)
    compare('dE/dx', channels_last.backward(np.ascontiguousarray(delta.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)),
            want, len(x), tol=1e-14)


@pytest.mark.parametrize('kernel, pad, stride, shape', [(2, 0, None, (2, 3, 6, 5)), (3, 1, 2, (2, 2, 7, 6)),
                                                        (2, 1, None, (1, 2, 5, 5))])
def test_pooling_gradients_match_the_numerical_ones(kernel, pad, stride, shape, rng):
    check_gradients(MaxPoolingLayer(kernel, pad, stride=stride), rng.standard_normal(shape), rng)


def test_pooling_sends_a_tied_windows_gradient_to_its_first_cell_in_row_major_order():
    """As PyTorch's max_pool2d: one window of four equal values, one with the max twice in its
    second row, one with a single max, one all zeros (a ReLU's usual output)."""
    x = np.array([[1., 1., 0., 2.],
                  [1., 1., 2., 2.],
                  [5., 0., 0., 0.],
                  [3., 4., 0., 0.]])[None, None]
    layer = MaxPoolingLayer(2, 0)
    assert np.array_equal(layer.forward(x)[0, 0], [[1, 2], [5, 0]])
    grad = layer.backward(np.array([[[[10., 20.], [30., 40.]]]]))[0, 0]
    assert np.array_equal(grad, [[10, 0, 0, 20],
                                 [0, 0, 0, 0],
                                 [30, 0, 40, 0],
                                 [0, 0, 0, 0]])


def test_reshapes_take_the_batch_size_from_the_input_and_pass_gradients_back(rng):
    flatten = ReshapeLayer((64, 16, 7, 7), (64, 784))
    for n in (64, 16, 1):   # a full batch, the last smaller one, a single image
        x = rng.standard_normal((n, 16, 7, 7))
        assert flatten.forward(x).shape == (n, 784)
        check_gradients(flatten, x, rng)
    images = ReshapeLayer.to_images()
    assert images.forward(np.zeros((3, 784))).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match=r'input of shape \(3, 785\), expected \(N, 784\)'):
        images.forward(np.zeros((3, 785)))
    with pytest.raises(ValueError, match='784 and 785 values per sample'):
        ReshapeLayer((1, 784), (1, 785))


@pytest.mark.parametrize('fast', [True, False], ids=['relu-after-pooling', 'layer-order'])
def test_a_small_convnet_has_the_numerical_gradients(fast, rng):
    """rows -> images -> conv 3×3 pad 1 -> ReLU -> pool 2 -> conv stride 2 -> flatten -> FC, softmax loss."""
    net = Network([ReshapeLayer.to_images(2, 6, 6), ConvLayer(2, 3, 3, 1, init='xavier', rng=0, dtype=np.float64),
                   ReLULayer(), MaxPoolingLayer(2), ConvLayer(3, 2, 2, 0, stride=1, rng=1, dtype=np.float64),
                   ReshapeLayer((None, 2, 2, 2), (None, 8)), FCLayer(8, 4, rng=2, dtype=np.float64)])
    net.fast = fast
    for layer in net.trainable_layers():
        layer.b = rng.standard_normal(layer.b.shape) * 0.1
    assert [type(layer) for layer in net.run_order()[2:4]] == ([MaxPoolingLayer, ReLULayer] if fast else
                                                               [ReLULayer, MaxPoolingLayer])
    loss, x, labels = SoftmaxCrossEntropyLossLayer(), rng.standard_normal((3, 72)), rng.integers(0, 4, 3)
    objective = lambda: loss.forward(net.forward(x), labels)
    objective()
    compare('dE/dx', net.backward(loss.backward()), numerical_gradient(objective, x), len(x), tol=TOL)
    for layer, name in net.parameters():
        numerical = numerical_gradient(objective, getattr(layer, name))
        objective()
        net.backward(loss.backward(), input_grad=False)
        compare(f'{layer!r} grad_{name}', getattr(layer, 'grad_' + name), numerical, len(x), tol=TOL)


@pytest.mark.parametrize('pool', [(2, 0, 2), (3, 1, 2), (3, 1, 1)], ids=['2x2', '3x3-pad1-stride2', 'overlapping'])
def test_relu_after_pooling_gives_the_layer_orders_outputs_and_gradients_exactly(pool, rng):
    """Network's fast path runs ReLU after max pooling (they commute); the same numbers as the layers' own order,
    with ties and windows all below zero (where δ must stop), in float32."""
    side = ((9 + 2 * pool[1] - pool[0]) // pool[2] + 1) // 2   # after both poolings

    def net():
        return Network([ConvLayer(2, 4, 3, 1, rng=0), ReLULayer(), MaxPoolingLayer(pool[0], pool[1], stride=pool[2]),
                        ReLULayer(), MaxPoolingLayer(2), ReshapeLayer((None, 4, side, side), (None, 4 * side * side)),
                        FCLayer(4 * side * side, 3, rng=1)])
    x = np.round(rng.standard_normal((5, 2, 9, 9)), 1).astype(np.float32)   # rounded: many ties
    fused, plain = net(), net()
    plain.fast = False
    for n in (fused, plain):
        n.layers[0].b[:] = -1.5   # many windows below zero throughout
    assert [type(layer) for layer in fused.run_order()[1:5]] == [MaxPoolingLayer, ReLULayer] * 2
    outputs = [n.forward(x) for n in (fused, plain)]
    deltas = [n.backward(np.ones_like(outputs[0])) for n in (fused, plain)]
    assert np.array_equal(*outputs) and np.array_equal(*deltas)
    for a, b in zip(fused.trainable_layers(), plain.trainable_layers()):
        assert np.array_equal(a.grad_W, b.grad_W) and np.array_equal(a.grad_b, b.grad_b)
    assert fused.layers[1].output.size <= plain.layers[1].output.size and (fused.layers[1].output == 0).mean() > 0.2


def test_bad_arguments_and_inputs_are_named():
    with pytest.raises(ValueError, match='kernel_size = 0'):
        ConvLayer(1, 8, 0)
    with pytest.raises(ValueError, match='pad = -1'):
        ConvLayer(1, 8, 3, -1)
    with pytest.raises(ValueError, match=r'input of shape \(2, 3, 8, 8\), expected \(N, 1, H, W\)'):
        ConvLayer(1, 8, 3).forward(np.zeros((2, 3, 8, 8)))
    with pytest.raises(ValueError, match='smaller than the kernel'):
        ConvLayer(1, 8, 5).forward(np.zeros((2, 1, 3, 3)))
    with pytest.raises(ValueError, match='pad = 2'):
        MaxPoolingLayer(2, 2)
    with pytest.raises(ValueError, match="algorithm 'winograd': expected one of"):
        ConvLayer(1, 8, 3, algorithm='winograd')
    with pytest.raises(ValueError, match=r"ConvLayer\(1, 8, 3, 1, stride=2\): algorithm='fft' needs stride 1"):
        ConvLayer(1, 8, 3, 1, stride=2, algorithm='fft').forward(np.zeros((1, 1, 6, 6)))
