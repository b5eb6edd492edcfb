"""The course's convolution layer: 2-D cross-correlation on the parameter protocol, as a patch matrix and a GEMM.

The sum it computes, for input x (N, C, H, W), weights W (F, C, kh, kw) and bias b (F,), padding p and
stride s (xp is x with p zeros around each image):

    u[n, f, y, x] = b[f] + Σ_c Σ_i Σ_j W[f, c, i, j] · xp[n, c, s·y + i, s·x + j]

This is cross-correlation, PyTorch's `conv2d` convention: the kernel is not flipped. The lecture's
convolution flips it, (x * k)[y, x] = Σ_i Σ_j x[y − i, x − j] k[i, j]; the two differ only by storing
the kernel rotated by 180°, and a learned kernel is whichever the data make it, so a trained net
is the same either way. W is laid out as PyTorch's `weight` (F, C, kh, kw), so weights map one to one.
`conv2d_reference` is the sum above as plain loops; the tests hold both paths below to it.

The plain path (what the course teaches). The windows of the padded input are one strided view (no copy,
no Python loop over pixels or samples); copied once into the patch matrix P (N·Ho·Wo, kh·kw·C), row
(n, y, x) holding the window under output pixel (y, x) of image n, the forward pass is one GEMM,
u = P W₂ᵀ + b with W₂ = W as (F, kh·kw·C). Backward, with δ as rows (N·Ho·Wo, F):
grad_W₂ = δᵀ P (the same patch matrix), grad_b = Σ δ, and dE/dP = δ W₂, computed one kernel
offset (i, j) at a time (δ W[:, :, i, j], one GEMM each) and added into the padded input gradient
by one strided slice per offset (col2im, no np.add.at). The arrays are kept channels-last in memory, (N, H, W, C), and handed on as
(N, C, H, W) views, so none of these steps transposes a large array. self.cols lets P go after
backward (training keeps its memory for the next batch, see _cols_memory), and in eval mode the forward
pass runs in chunks of EVAL_CHUNK images, so memory stays bounded.

The FFT path (fastconv.py), behind the same names: the same sums by FFT, with fewer multiply-adds where the
patch matrix is deep (the 32→64 layer: ~8× fewer); `_fast_path` picks it per input shape for float32
layers by a measured rule (fastconv.suits), float64 keeps the plain path unless algorithm='fft'. Its output
has the plain path's channels-last layout, so the ReLU and pooling after it read it the same way.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from protocol import INIT_SCHEMES, Layer, init_std

try:
    import fastconv
except ModuleNotFoundError as error:   # a student's release leaves the FFT path out (teacher/handout.py)
    if error.name != 'fastconv':
        raise
    fastconv = None

ALGORITHMS = ('auto', 'gemm', 'fft')   # ConvLayer(..., algorithm=): 'auto' chooses by shape (see _fast_path)
EVAL_CHUNK = 256   # images per patch matrix in eval mode: P of the 64-channel 5×5 layer on 14×14 is 160 MB


def conv2d_reference(x, W, b, stride=1, pad=0):
    """The cross-correlation u (N, F, Ho, Wo) by its sum over channels and kernel offsets, looping
    over (f, c, i, j) with numpy over (n, y, x): slow and plain, the yardstick of the fast path."""
    N, C, H, Wd = x.shape
    F, _, kh, kw = W.shape
    xp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad), np.result_type(x, W))
    xp[:, :, pad:pad + H, pad:pad + Wd] = x
    Ho, Wo = (H + 2 * pad - kh) // stride + 1, (Wd + 2 * pad - kw) // stride + 1
    u = np.zeros((N, F, Ho, Wo), xp.dtype)
    for f in range(F):
        u[:, f] = b[f]
        for c in range(C):
            for i in range(kh):
                for j in range(kw):
                    u[:, f] += W[f, c, i, j] * xp[:, c, i:i + stride * Ho:stride, j:j + stride * Wo:stride]
    return u


def windows(padded, kernel, stride):
    """The windows of a channels-last padded batch (N, Hp, Wp, C) as a strided view
    (N, Ho, Wo, kh, kw, C): element [n, y, x, i, j, c] is padded[n, s·y + i, s·x + j, c]; no copy."""
    (kh, kw), (N, Hp, Wp, C) = kernel, padded.shape
    Ho, Wo = (Hp - kh) // stride + 1, (Wp - kw) // stride + 1
    sN, sH, sW, sC = padded.strides
    return as_strided(padded, (N, Ho, Wo, kh, kw, C), (sN, stride * sH, stride * sW, sH, sW, sC), writeable=False)


def _pair(name, value):
    """(a, b) from an int or a pair of positive ints; ValueError naming the argument otherwise."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in pair):
        raise ValueError(f'ConvLayer {name} = {value!r}: expected a positive integer or a pair of them')
    return tuple(int(v) for v in pair)


class ConvLayer(Layer):
    """2-D cross-correlation (see the module docstring): x (N, C, H, W) -> u (N, F, Ho, Wo), with
    Ho = (H + 2·pad − kh) // stride + 1 (Wo alike).

    The course's signature: ConvLayer(in_channels, out_channels, kernel_size, pad=0); keyword-only
    stride, init ('msra' by default, 'xavier' or 'gaussian', fan-in C·kh·kw), std (of 'gaussian'),
    rng (a seed or np.random.Generator for W; b starts at zero), dtype, algorithm (one of ALGORITHMS).
    Parameters W (F, C, kh, kw) and b (F,); only W takes weight decay.
    """
    params, decay, trainable = ('W', 'b'), ('W',), True

    def __init__(self, in_channels, out_channels, kernel_size, pad=0, *, stride=1, init='msra', std=None,
                 rng=None, dtype=np.float32, algorithm='auto'):
        (channels, filters), (kh, kw) = _pair('in/out channels', (in_channels, out_channels)), \
            _pair('kernel_size', kernel_size)
        (stride, _) = _pair('stride', stride)
        if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
            raise ValueError(f'ConvLayer pad = {pad!r}: expected an integer >= 0')
        if algorithm not in ALGORITHMS:
            raise ValueError(f'ConvLayer algorithm {algorithm!r}: expected one of {ALGORITHMS}')
        if init not in INIT_SCHEMES:
            raise ValueError(f'ConvLayer init {init!r}: expected one of {INIT_SCHEMES}')
        scale = init_std(init, channels * kh * kw, std)
        rng = np.random.default_rng(rng)
        self.kernel, self.stride, self.pad, self.init, self.algorithm = (kh, kw), stride, int(pad), init, algorithm
        self.W = (rng.standard_normal((filters, channels, kh, kw)) * scale).astype(dtype)
        self.b = np.zeros(filters, dtype)
        self.grad_W, self.grad_b = np.zeros_like(self.W), np.zeros_like(self.b)
        self.cols, self.input_shape, self._padded, self._cols_kept = None, None, None, None
        self._spectra, self._fft_memory = None, {}   # the FFT path's x̂ and ŵ for backward, its kept arrays

    def output_shape(self, shape):
        """(N, F, Ho, Wo) of an input shape (N, C, H, W)."""
        (N, _, H, Wd), (kh, kw), p, s = shape, self.kernel, self.pad, self.stride
        return N, len(self.W), (H + 2 * p - kh) // s + 1, (Wd + 2 * p - kw) // s + 1

    def weight_matrix(self):
        """W₂ (F, kh·kw·C): W with each filter's weights in the patch matrix's column order (i, j, c)."""
        return self.W.transpose(0, 2, 3, 1).reshape(len(self.W), -1)

    def patches(self, Input):
        """The patch matrix P (N·Ho·Wo, kh·kw·C) of x = Input (N, C, H, W): row (n, y, x) holds
        xp[n, c, s·y + i, s·x + j] at column (i, j, c). One copy out of one strided view."""
        N, C, H, Wd = Input.shape
        p, channels_last = self.pad, Input.transpose(0, 2, 3, 1)
        if p:
            shape = (N, H + 2 * p, Wd + 2 * p, C)
            if self._padded is None or self._padded.shape[1:] != shape[1:] or len(self._padded) < N \
                    or self._padded.dtype != Input.dtype:
                self._padded = np.zeros(shape, Input.dtype)   # its zero border is never written
            padded = self._padded[:N]
            padded[:, p:p + H, p:p + Wd] = channels_last
        else:
            padded = channels_last
        view = windows(padded, self.kernel, self.stride)
        cols = self._cols_memory((view.shape[0] * view.shape[1] * view.shape[2], view[0, 0, 0].size), Input.dtype)
        np.copyto(cols.reshape(view.shape), view)
        return cols

    def _cols_memory(self, shape, dtype):
        """Uninitialised memory for P (N·Ho·Wo, kh·kw·C). In training mode the last batch's, when it is
        large enough: a new P of the 64-filter layer (40 MB) is mapped afresh by the allocator for every
        batch, and its page faults cost more than the copy into it (6.4 against 2.7 ms, batch 64). In eval
        mode a new one per chunk, and the kept one is let go, so evaluation's memory stays bounded."""
        size = shape[0] * shape[1]
        if not self.training:
            self._cols_kept = None
            return np.empty(shape, dtype)
        if self._cols_kept is None or self._cols_kept.size < size or self._cols_kept.dtype != dtype:
            self._cols_kept = np.empty(size, dtype)
        return self._cols_kept[:size].reshape(shape)

    def forward(self, Input):
        """u = P W₂ᵀ + b: x = Input (N, C, H, W) -> u (N, F, Ho, Wo), a new array (a view of
        channels-last memory). Keeps P (or the FFT path's spectra) for backward in training mode;
        in eval mode runs in chunks."""
        self._check(Input)
        run = self._fft_forward if self._fast_path(Input.shape) else self.correlate
        if self.training:
            return run(Input)
        self.cols = None
        out = np.empty(self.output_shape(Input.shape), np.result_type(Input, self.W)).transpose(0, 2, 3, 1)
        for start in range(0, len(Input), EVAL_CHUNK):
            out[start:start + EVAL_CHUNK] = run(Input[start:start + EVAL_CHUNK]).transpose(0, 2, 3, 1)
        self.cols = self._spectra = None
        return out.transpose(0, 3, 1, 2)

    def _fast_path(self, shape):
        """Whether an input of this shape takes the FFT path: algorithm 'fft', or 'auto' in a float32 layer
        where it is the faster (fastconv.suits, measured). float64 (the gradient checks) keeps the plain path."""
        ### BEGIN SOLUTION case 3
        if self.algorithm == 'fft':
            return fastconv is not None and fastconv.supports(self.W.shape, self.pad, self.stride, where=repr(self))
        return (self.algorithm == 'auto' and fastconv is not None and self.W.dtype == np.float32
                and fastconv.suits(shape, self.W.shape, self.pad, self.stride))
        ### END SOLUTION

    def _fft_forward(self, Input):
        """u (N, F, Ho, Wo) of one batch by the FFT path; its spectra kept for backward instead of P."""
        self.input_shape, self.cols = Input.shape, None
        u, self._spectra = fastconv.forward(Input, self.W, self.b, self.pad, self._fft_memory)
        return u

    def correlate(self, Input):
        """u (N, F, Ho, Wo) of one batch; P kept in self.cols."""
        self.input_shape, self._spectra = Input.shape, None
        self.cols = self.patches(Input)
        N, F, Ho, Wo = self.output_shape(Input.shape)
        ### BEGIN SOLUTION case 3
        u = self.cols @ self.weight_matrix().T   # (N·Ho·Wo, F): one GEMM
        u += self.b
        return u.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)
        ### END SOLUTION

    def gradients(self, delta):
        """For δ = dE/du (N, F, Ho, Wo) and the x of the last forward:
            grad_W[f, c, i, j] = Σ_{n,y,x} δ[n, f, y, x] · xp[n, c, s·y + i, s·x + j]   (F, C, kh, kw)
            grad_b[f] = Σ_{n,y,x} δ[n, f, y, x]                                         (F,)
        i.e. grad_W₂ = δᵀ P with δ as rows (N·Ho·Wo, F). Frees P; without dE/dx, which the
        bottom layer of a network does not need."""
        if self._spectra is not None:   # forward took the FFT path
            self.grad_W, self.grad_b, _ = fastconv.gradients(delta, self._spectra)
            self._spectra = None
            return
        if self.cols is None:
            raise RuntimeError('ConvLayer.backward without a training-mode forward before it (or called twice)')
        F, C, kh, kw = self.W.shape
        ### BEGIN SOLUTION case 3
        rows = delta.transpose(0, 2, 3, 1).reshape(-1, F)   # (N·Ho·Wo, F), a view for channels-last δ
        grad = rows.T @ self.cols                             # (F, kh·kw·C)
        self.grad_W = np.ascontiguousarray(grad.reshape(F, kh, kw, C).transpose(0, 3, 1, 2))
        self.grad_b = rows.sum(axis=0)
        ### END SOLUTION
        self.cols = None

    def backward(self, delta):
        """δ = dE/du (N, F, Ho, Wo) -> dE/dx (N, C, H, W); stores grad_W and grad_b as `gradients` does.

        dE/dxp[n, c, s·y + i, s·x + j] += Σ_f δ[n, f, y, x] · W[f, c, i, j] for every (y, x, i, j):
        dE/dP = δ W₂ (N·Ho·Wo, kh·kw·C), computed one kernel offset (i, j) at a time, δ W[:, :, i, j]
        (N·Ho·Wo, C), and added into the padded gradient at the pixels that offset's columns came from;
        then the padding is cut off (it is not part of x). Offset by offset, each block stays in cache:
        measured 14 against 34 ms for the 64-filter layer at batch 64 (2 threads, quiet machine)."""
        if self._spectra is not None:   # forward took the FFT path: δ̂ serves dE/dx and grad_W alike
            dx, self.grad_W, self.grad_b = fastconv.backward(delta, self._spectra)
            self._spectra = None
            return dx
        self.gradients(delta)
        N, C, H, Wd = self.input_shape
        F, _, kh, kw = self.W.shape
        s, p = self.stride, self.pad
        _, _, Ho, Wo = self.output_shape(self.input_shape)
        ### BEGIN SOLUTION case 3
        rows = delta.transpose(0, 2, 3, 1).reshape(-1, F)
        kernels = np.ascontiguousarray(self.W.transpose(2, 3, 0, 1))   # (kh, kw, F, C): W[:, :, i, j] per offset
        padded = np.zeros((N, H + 2 * p, Wd + 2 * p, C), np.result_type(rows, kernels))
        block = np.empty((N * Ho * Wo, C), padded.dtype)   # dE/dP's columns of one offset: stays in cache
        for i in range(kh):
            for j in range(kw):
                np.matmul(rows, kernels[i, j], out=block)
                padded[:, i:i + s * Ho:s, j:j + s * Wo:s] += block.reshape(N, Ho, Wo, C)
        return padded[:, p:p + H, p:p + Wd].transpose(0, 3, 1, 2)
        ### END SOLUTION

    def _check(self, Input):
        shape, channels = getattr(Input, 'shape', None), self.W.shape[1]
        if shape is None or len(shape) != 4 or shape[1] != channels:
            raise ValueError(f'{self!r}: input of shape {shape}, expected (N, {channels}, H, W) '
                             f'(images as (N, 784) rows need a ReshapeLayer in front)')
        if min(self.output_shape(shape)[2:]) < 1:
            raise ValueError(f'{self!r}: input of shape {shape} is smaller than the kernel {self.kernel} '
                             f'with padding {self.pad}')

    def __repr__(self):
        F, C, kh, kw = self.W.shape
        kernel = kh if kh == kw else (kh, kw)
        return f'ConvLayer({C}, {F}, {kernel}, {self.pad}' + (f', stride={self.stride})' if self.stride > 1 else ')')
