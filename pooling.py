"""The course's CNN-case layers without weights: max pooling, and the reshapes between images and rows.

MaxPoolingLayer: out[n, c, y, x] = max over the k×k window at (s·y, s·x) of the input padded with
−∞; backward sends each window's gradient to the one cell that won, on ties the first in row-major
order, as PyTorch does. Forward and backward run over the k² strided slices of the input (one per
window offset), never a Python loop over pixels or samples.
ReshapeLayer: the course's ReshapeLayer(in_shape, out_shape), batch size written in both shapes
but taken from the input, so the last, smaller batch and a 10,000-image test pass too.
"""
import numpy as np

from protocol import Layer


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f'MaxPoolingLayer {name} = {value!r}: expected a positive integer')
    return int(value)


class MaxPoolingLayer(Layer):
    """Max pooling of every channel: x (N, C, H, W) -> (N, C, Ho, Wo), Ho = (H + 2·pad − k) // s + 1.

    The course's signature: MaxPoolingLayer(kernel_size, pad=0); keyword-only stride (default: the
    kernel size, windows that do not overlap). `winner` (N, C, Ho, Wo) uint8 keeps, for backward, the
    offset o = i·k + j of each window's maximum inside the window.
    """

    def __init__(self, kernel_size, pad=0, *, stride=None):
        self.kernel = _positive('kernel_size', kernel_size)
        self.stride = self.kernel if stride is None else _positive('stride', stride)
        if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or not 0 <= pad <= self.kernel // 2:
            raise ValueError(f'MaxPoolingLayer pad = {pad!r}: expected an integer in [0, kernel_size // 2]')
        self.pad, self.winner, self.input_shape = int(pad), None, None

    def offsets(self, padded):
        """[(o, slice of padded (N, C, Ho, Wo))] for every window offset (i, j), o = i·k + j, row-major."""
        k, s = self.kernel, self.stride
        Ho, Wo = (padded.shape[2] - k) // s + 1, (padded.shape[3] - k) // s + 1
        return [(i * k + j, padded[:, :, i:i + s * Ho:s, j:j + s * Wo:s]) for i in range(k) for j in range(k)]

    def forward(self, Input):
        """The maximum of each window (N, C, Ho, Wo), a new array in the input's memory layout."""
        if getattr(Input, 'ndim', None) != 4 or min(Input.shape[2:]) + 2 * self.pad < self.kernel:
            raise ValueError(f'{self!r}: input of shape {getattr(Input, "shape", None)}, expected (N, C, H, W) '
                             f'with H and W at least the kernel size {self.kernel} (with padding)')
        self.input_shape, padded = Input.shape, self._padded(Input)
        (_, first), *rest = self.offsets(padded)
        out = np.copy(first, order='K')
        self.winner = np.zeros_like(out, dtype=np.uint8)
        for offset, window in rest:   # offsets grow, so the last strict winner is the max of greater·offset
            greater = window > out       # strictly: on a tie the earlier offset keeps the window
            np.maximum(self.winner, np.multiply(greater, offset, dtype=np.uint8), out=self.winner)
            np.maximum(out, window, out=out)
        return out

    def backward(self, delta):
        """δ (N, C, Ho, Wo) -> dE/dx (N, C, H, W): each window's δ to the cell that held its maximum
        (self.winner), every other cell 0; a cell in several windows (stride < k) sums theirs."""
        if self.winner is None:
            raise RuntimeError('MaxPoolingLayer.backward without a forward before it')
        N, C, H, W = self.input_shape
        p = self.pad
        grad = np.zeros((N, H + 2 * p, W + 2 * p, C), delta.dtype).transpose(0, 3, 1, 2)
        delta = self._like_winner(delta)
        ### BEGIN SOLUTION case 3
        for offset, target in self.offsets(grad):
            target += delta * (self.winner == offset)
        ### END SOLUTION
        return grad[:, :, p:p + H, p:p + W]

    def _like_winner(self, delta):
        """δ (N, C, Ho, Wo) laid out in memory as self.winner is (contiguous, channels-last after a ConvLayer),
        copied once if it is not: δ from a ReshapeLayer is (N, C, Ho, Wo)-contiguous, and k² passes that mix
        the two layouts took 6.8 against 1.2 ms with the copy (second pooling of build_convnet, batch 64)."""
        if delta.shape != self.winner.shape or delta.strides == tuple(delta.itemsize * s for s in self.winner.strides):
            return delta
        matched = np.empty_like(self.winner, dtype=delta.dtype)
        matched[...] = delta
        return matched

    def _padded(self, Input):
        """Input (N, C, H, W) inside a border of `pad` cells of −∞ (never a maximum), channels-last in memory."""
        if not self.pad:
            return Input
        N, C, H, W = Input.shape
        p = self.pad
        padded = np.full((N, H + 2 * p, W + 2 * p, C), -np.inf, Input.dtype).transpose(0, 3, 1, 2)
        padded[:, :, p:p + H, p:p + W] = Input
        return padded

    def __repr__(self):
        return f'MaxPoolingLayer({self.kernel}, {self.pad}' + (
            f', stride={self.stride})' if self.stride != self.kernel else ')')


class ReshapeLayer(Layer):
    """x (N, *in_shape[1:]) -> x as (N, *out_shape[1:]), and δ back; the first entry of each shape
    is the course's batch size and is not used (N is the input's), so any batch size passes.

    ReshapeLayer((batch_size, 16, 7, 7), (batch_size, 784)) flattens the last feature maps for an
    FCLayer (in C, H, W order, as PyTorch's flatten); ReshapeLayer.to_images() turns the
    dataloader's (N, 784) rows into (N, 1, 28, 28) images.
    """

    def __init__(self, in_shape, out_shape):
        self.in_shape, self.out_shape = self._shape('in_shape', in_shape), self._shape('out_shape', out_shape)
        if np.prod(self.in_shape[1:]) != np.prod(self.out_shape[1:]):
            raise ValueError(f'ReshapeLayer({in_shape}, {out_shape}): the shapes hold {np.prod(self.in_shape[1:])} '
                             f'and {np.prod(self.out_shape[1:])} values per sample; expected the same')

    @classmethod
    def to_images(cls, channels=1, height=28, width=28):
        """The reshape of (N, C·H·W) rows into (N, C, H, W) images (MNIST's by default)."""
        return cls((None, channels * height * width), (None, channels, height, width))

    @staticmethod
    def _shape(name, shape):
        ok = isinstance(shape, (tuple, list)) and len(shape) >= 2 and all(
            not isinstance(v, bool) and isinstance(v, (int, np.integer)) and v >= 1 for v in shape[1:])
        if not ok or not (shape[0] is None or isinstance(shape[0], (int, np.integer))):
            raise ValueError(f'ReshapeLayer {name} = {shape!r}: expected (batch_size, d1, d2, ...) with '
                             f'positive sizes after the batch size')
        return tuple(shape)

    def forward(self, Input):
        shape = getattr(Input, 'shape', None)
        if shape is None or tuple(shape[1:]) != self.in_shape[1:]:
            expected = ', '.join(map(str, self.in_shape[1:]))
            raise ValueError(f'{self!r}: input of shape {shape}, expected (N, {expected})')
        return Input.reshape((len(Input),) + self.out_shape[1:])

    def backward(self, delta):
        return delta.reshape((len(delta),) + self.in_shape[1:])

    def __repr__(self):
        return f'ReshapeLayer({self.in_shape}, {self.out_shape})'
