"""ConvLayer's fast path: the cross-correlation and its gradients by FFT, fewer multiply-adds than the GEMM.

Notation as in conv.py: x (N, C, H, W), W (F, C, kh, kw), b (F,), padding p, stride 1, u (N, F, Ho, Wo),
δ = dE/du (N, F, Ho, Wo). On a grid of L₀ × L₁ points with L₀ ≥ H + p and L₁ ≥ W + p, put x at the origin
(zeros after it) and each kernel with its offset (i, j) at (i − p, j − p) mod L (`kernel_spectrum`); then
no term of the sums below wraps around the grid, and with x̂ = DFT(x) per image and channel (the same for
ŵ, δ̂, over the L₀ × (L₁//2 + 1) frequencies k of a real signal, numpy's rfft2):

    û[n, f](k) = Σ_c x̂[n, c](k) · conj(ŵ[f, c](k)) + b        cross-correlation: the kernel's spectrum conjugated
    dE/dx̂[n, c](k) = Σ_f δ̂[n, f](k) · ŵ[f, c](k)                 the input gradient, a convolution
    ĝ[f, c](k) = Σ_n conj(δ̂[n, f](k)) · x̂[n, c](k),   grad_W[f, c, i, j] = g[f, c](i − p, j − p)

and u, dE/dx are the inverse transforms cut to (Ho, Wo) and (H, W). Each sum over channels (or images) is
one complex matrix product per frequency, `np.matmul` over the stacked frequencies: for the 32→64 layer on
14×14 (L = 16, 144 frequencies, batch 64) 144 · 64·32·64 complex multiply-adds, 4× as many real ones,
≈ 76 M per pass against the patch GEMM's 64·196 · 64·800 ≈ 642 M. x̂ is kept from the forward pass for
the weight gradient, and δ̂ serves both gradients. float32 stays float32 (complex64 spectra).

Every intermediate array lives in `memory`, a dict the layer keeps, and is written in place (`out=`) from
one call to the next while its shape stays: fresh ones were mapped afresh by the allocator at every call,
and their ~4,900 page faults took half of the forward pass (9 of 19 ms CPU, 1 thread). The returned u,
dE/dx and gradients are new arrays.

Which layers take it (`suits`): stride 1, p < kh, kw, kernels of at least MIN_KERNEL × MIN_KERNEL and
C·kh·kw ≥ MIN_DEPTH, the patch matrix's depth. The transforms cost per map, whatever the kernel; the GEMM per
multiply-add, k² of them per pixel and channel pair. With one input channel (the first layer, depth 25) the GEMM
wins ~2-3×, at depth 800 with k = 5 the FFT ~2×; with k = 3 the FFT never won clearly once numpy's OpenBLAS ran
its AVX-512 kernel (0.94-1.65× the GEMM at depths 288-576), though it did on the AVX2 kernel (bench/conv_rule.py;
docs/results.md has both).
"""
import numpy as np

MIN_DEPTH = 200   # C·kh·kw from which the FFT path is faster (bench/conv_rule.py, batch 64, both thread counts)
MIN_KERNEL = 5    # kh, kw from which it is: with 3 × 3 kernels it was about even at best (OpenBLAS's AVX-512 kernel)


def supports(w_shape, pad, stride, where='ConvLayer'):
    """True for a layer the FFT path computes (stride 1, p < kh, kw); a ValueError naming it otherwise."""
    F, C, kh, kw = w_shape
    if stride != 1 or pad >= min(kh, kw):
        raise ValueError(f"{where}: algorithm='fft' needs stride 1 and pad < kernel size "
                         f"(stride {stride}, pad {pad}, kernel {kh}×{kw}); use 'auto' or 'gemm'")
    return True


def suits(x_shape, w_shape, pad, stride):
    """Whether the FFT path computes this layer's cross-correlation faster than the patch GEMM (measured)."""
    F, C, kh, kw = w_shape
    return stride == 1 and pad < min(kh, kw) and min(kh, kw) >= MIN_KERNEL and C * kh * kw >= MIN_DEPTH


def grid(length):
    """The least L ≥ length with no prime factor above 5 (the FFT's fast sizes): 16 for 16, 30 for 30."""
    size = length
    while True:
        rest = size
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return size
        size += 1


def buffer(memory, name, shape, dtype):
    """memory[name]: the array of this shape and dtype kept from the last call, or a new one of zeros."""
    array = memory.get(name)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = memory[name] = np.zeros(shape, dtype)
    return array


def kernel_spectrum(W, pad, L, memory):
    """n · ŵ (L₀, L₁//2 + 1, C, F), n = L₀·L₁: the spectrum of W (F, C, kh, kw) placed with its offset
    (i, j) at (i − p, j − p) mod L, as one product with the DFT's rows at the kh·kw offsets (E, kept in
    memory): 2× faster than an FFT of the mostly-zero L₀ × L₁ grid. The factor n: numpy's forward FFT along
    an axis that is not the last runs ~10× faster scaled by 1/n (norm='forward') than unscaled (numpy 2.4,
    float32), so x̂ and δ̂ are taken with that scale, and n is put back here, on the smaller array."""
    F, C, kh, kw = W.shape
    K = L[0], L[1] // 2 + 1
    dtype = np.result_type(W, np.complex64)
    E = memory.get('E')
    if E is None or E.shape != (K[0] * K[1], kh * kw) or E.dtype != dtype:
        k0, k1 = np.arange(K[0])[:, None, None, None], np.arange(K[1])[None, :, None, None]
        i, j = np.arange(kh)[None, None, :, None] - pad, np.arange(kw)[None, None, None, :] - pad
        E = L[0] * L[1] * np.exp(-2j * np.pi * (k0 * i / L[0] + k1 * j / L[1]))   # n·e^{−2πi(k·(i−p, j−p)/L)}
        E = memory['E'] = E.reshape(K[0] * K[1], kh * kw).astype(dtype)
    w_hat = buffer(memory, 'ŵ', K + (C, F), dtype)
    np.matmul(E, W.transpose(2, 3, 1, 0).reshape(kh * kw, C * F), out=w_hat.reshape(-1, C * F))
    return w_hat


def spectrum(a, L, memory, name):
    """â/n (L₀, L₁//2 + 1, N, D) of a batch of maps a (N, D, h, w), zeros after them up to L (a view:
    the frequencies lead, so each frequency's (N, D) matrix is one operand of the stacked products)."""
    N, D, h, w = a.shape
    padded = buffer(memory, name + ' padded', (N, D) + L, a.dtype)   # zero but where a is copied
    padded[:, :, :h, :w] = a
    out = buffer(memory, name, (N, D, L[0], L[1] // 2 + 1), np.result_type(a, np.complex64))
    return np.fft.rfft2(padded, axes=(2, 3), norm='forward', out=out).transpose(2, 3, 0, 1)


def product(memory, name, a, b):
    """a @ b over the stacked frequencies, into memory[name]."""
    out = buffer(memory, name, a.shape[:-1] + b.shape[-1:], np.result_type(a, b))
    return np.matmul(a, b, out=out)


def inverse(memory, name, spectra, L):
    """The real maps (L₀, L₁, ...) of spectra (L₀, L₁//2 + 1, ...), into memory[name]."""
    out = buffer(memory, name, L + spectra.shape[2:], spectra.real.dtype)
    return np.fft.irfft2(spectra, s=L, axes=(0, 1), out=out)


def forward(x, W, b, pad, memory):
    """u (N, F, Ho, Wo) of x (N, C, H, W), a view of channels-last memory (as the GEMM path's), and what
    backward needs: (x̂/n, n·ŵ, x's shape, p, memory)."""
    N, C, H, Wd = x.shape
    F, _, kh, kw = W.shape
    L = grid(H + pad), grid(Wd + pad)
    Ho, Wo = H + 2 * pad - kh + 1, Wd + 2 * pad - kw + 1
    x_hat, w_hat = spectrum(x, L, memory, 'x̂'), kernel_spectrum(W, pad, L, memory)
    w_conj = np.conjugate(w_hat, out=buffer(memory, 'conj ŵ', w_hat.shape, w_hat.dtype))
    u_full = inverse(memory, 'u', product(memory, 'û', x_hat, w_conj), L)   # û = Σ_c x̂ conj(ŵ)
    u = np.empty((N, Ho, Wo, F), u_full.dtype)
    np.add(u_full[:Ho, :Wo].transpose(2, 0, 1, 3), b, out=u)
    return u.transpose(0, 3, 1, 2), (x_hat, w_hat, x.shape, pad, memory)


def gradients(delta, saved):
    """(grad_W (F, C, kh, kw), grad_b (F,), δ̂/n) for δ (N, F, Ho, Wo) and forward's `saved`:
    ĝ = Σ_n conj(δ̂) x̂, computed as conj(Σ_n δ̂ conj(x̂)) (one conjugate of the smaller spectrum)."""
    x_hat, w_hat, (_, _, H, Wd), p, memory = saved
    kh, kw = H + 2 * p - delta.shape[2] + 1, Wd + 2 * p - delta.shape[3] + 1
    L = grid(H + p), grid(Wd + p)
    d_hat = spectrum(delta, L, memory, 'δ̂')
    x_conj = np.conjugate(x_hat, out=buffer(memory, 'conj x̂', x_hat.shape, x_hat.dtype))
    g_hat = product(memory, 'ĝ', np.swapaxes(d_hat, 2, 3), x_conj)      # (L₀, L₁//2 + 1, F, C)
    g = inverse(memory, 'g', np.conjugate(g_hat, out=g_hat), L)          # (L₀, L₁, F, C) / n²
    rows, cols = [(i - p) % L[0] for i in range(kh)], [(j - p) % L[1] for j in range(kw)]
    grad_W = g[np.ix_(rows, cols)].transpose(2, 3, 0, 1) * (L[0] * L[1]) ** 2
    return np.ascontiguousarray(grad_W), delta.sum(axis=(0, 2, 3)), d_hat


def backward(delta, saved):
    """(dE/dx (N, C, H, W), grad_W, grad_b) for δ (N, F, Ho, Wo): dE/dx̂ = Σ_f δ̂ ŵ, δ̂ shared with grad_W."""
    grad_W, grad_b, d_hat = gradients(delta, saved)
    _, w_hat, (_, _, H, Wd), p, memory = saved
    L = grid(H + p), grid(Wd + p)
    dx_full = inverse(memory, 'dx', product(memory, 'dx̂', d_hat, np.swapaxes(w_hat, 2, 3)), L)   # (L₀, L₁, N, C)
    dx = np.empty((len(delta), H, Wd, dx_full.shape[3]), dx_full.dtype)   # channels-last, as pooling keeps its
    np.copyto(dx, dx_full[:H, :Wd].transpose(2, 0, 1, 3))                 # winners: it reads dx without a copy
    return dx.transpose(0, 3, 1, 2), grad_W, grad_b
