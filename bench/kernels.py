"""The MLP step's kernels alone, numpy against PyTorch: where compare_pytorch.py's gap comes from.

Times (median µs of 300 calls, both libraries on 2 threads, float32) the two large matrix products
of the 784-256-10 MLP, x W1 and xᵀδ1, at batch 32 / 100 / 512, and the momentum update of W1
(v = γv − α∇E, w = w + v: numpy's four passes against PyTorch's mul_/add_ kernels).

    /work/venv-bench/bin/python bench/kernels.py
"""
import time

import numpy as np
import torch

torch.set_num_threads(2)


def median_us(call, repeats=300):
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1e6 * float(np.median(times))


def main():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((784, 256)).astype(np.float32)
    for batch in (32, 100, 512):
        x = rng.standard_normal((batch, 784)).astype(np.float32)
        delta = rng.standard_normal((batch, 256)).astype(np.float32)
        u, grad = np.empty((batch, 256), np.float32), np.empty_like(W)
        tx, tW, tdelta = map(torch.from_numpy, (x, W, delta))
        tu, tgrad = torch.empty(batch, 256), torch.empty(784, 256)
        print(f'batch {batch:3d}: x W1 numpy {median_us(lambda: np.matmul(x, W, out=u)):6.0f} us, '
              f'torch {median_us(lambda: torch.mm(tx, tW, out=tu)):6.0f} us; '
              f'xT d1 numpy {median_us(lambda: np.matmul(x.T, delta, out=grad)):6.0f} us, '
              f'torch {median_us(lambda: torch.mm(tx.t(), tdelta, out=tgrad)):6.0f} us')
    w, v, g = W.copy(), np.zeros_like(W), rng.standard_normal(W.shape).astype(np.float32)
    scratch = np.empty_like(W)
    tw, tv, tg = map(torch.from_numpy, (w, v, g))

    def numpy_update():
        v.__imul__(0.9)
        v.__isub__(np.multiply(g, 0.05, out=scratch))
        w.__iadd__(v)

    def torch_update():
        tv.mul_(0.9).add_(tg, alpha=-0.05)
        tw.add_(tv)

    print(f'momentum update of W1 (200,704 floats): numpy {median_us(numpy_update):.0f} us, '
          f'torch {median_us(torch_update):.0f} us')


if __name__ == '__main__':
    main()
