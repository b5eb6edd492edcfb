"""What a pool of threads would buy per element-wise pass: each pass inline and split over two threads, side by side.

numpy releases the GIL in its ufuncs and copies, so a pass over a batch cut into two contiguous parts can run on
two cores. This script splits the element-wise passes of a training step that way (`split`: one part on a pool
thread, one on the caller; the same arithmetic element by element) at the shapes of the CNN case's ConvNet
(batch 64) and of the MLP 784-256-10 (batch 512): the convolution's patch copies, max pooling forward and
backward, ReLU forward and backward before and after pooling, and the optimizers' in-place updates of one large
parameter. Before every timed call a GEMM of the MLP's size (512×784 by 784×256) runs untimed, as in training,
where every pass follows a GEMM; --gemm-threads 1 runs it on one BLAS thread (then none of OpenBLAS's threads is
left spinning on the other core), --no-gemm leaves it out. The two ways alternate call by call; it prints the
median µs of each and their ratio. The library keeps no such pool: none of these passes paid after a
two-thread GEMM (docs/results.md).

    python bench/threads_passes.py --repeats 100
    python bench/threads_passes.py --repeats 100 --gemm-threads 1
    python bench/threads_passes.py --steps 30   # whole training steps: BLAS fitted to the free cores or not
"""
import argparse
import concurrent.futures
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import threads  # noqa: E402
from conv import windows  # noqa: E402
from inplace import BLOCK, blocks, views_like  # noqa: E402
from layers import FCLayer  # noqa: E402
from network import Network  # noqa: E402
from optimizer import SGD, Adam  # noqa: E402
from pooling import MaxPoolingLayer  # noqa: E402

POOL = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix='split')
SPLIT = {'on': False}


def split(run, n):
    """run(start, stop) over [0, n): in two halves at once (the second on the pool's thread) while SPLIT['on'],
    else inline."""
    if not SPLIT['on'] or n < 2:
        run(0, n)
        return
    other = POOL.submit(run, n // 2, n)
    run(0, n // 2)
    other.result()


def channels_last(rng, shape):
    """Random float32 maps (N, C, H, W) laid out (N, H, W, C) in memory, as a ConvLayer hands them on."""
    N, C, H, W = shape
    return rng.standard_normal((N, H, W, C), dtype=np.float32).transpose(0, 3, 1, 2)


def patches(x, kernel=5, pad=2):
    """ConvLayer.patches' two copies: x into the zero-bordered channels-last batch, its windows into P."""
    N, C, H, W = x.shape
    padded = np.zeros((N, H + 2 * pad, W + 2 * pad, C), x.dtype)
    view = windows(padded, (kernel, kernel), 1)
    rows = np.empty(view.shape, x.dtype)

    def run(a, b):
        padded[a:b, pad:pad + H, pad:pad + W] = x[a:b].transpose(0, 2, 3, 1)
        np.copyto(rows[a:b], view[a:b])
    return run


def pool_forward(layer, u):
    """MaxPoolingLayer.forward's loop over the window offsets, on parts of the batch."""
    out = np.empty_like(layer.offsets(u)[0][1], order='K')
    winner = np.empty_like(out, dtype=np.uint8)

    def run(a, b):
        (_, first), *rest = layer.offsets(u[a:b])
        np.copyto(out[a:b], first)
        winner[a:b] = 0
        for offset, window in rest:
            np.maximum(winner[a:b], np.multiply(window > out[a:b], offset, dtype=np.uint8), out=winner[a:b])
            np.maximum(out[a:b], window, out=out[a:b])
    return run


def pool_backward(layer, delta):
    """MaxPoolingLayer.backward's loop (its solution region), on parts of the batch."""
    N, C, H, W = layer.input_shape
    grad = np.zeros((N, H, W, C), delta.dtype).transpose(0, 3, 1, 2)

    def run(a, b):
        grad[a:b] = 0
        for offset, target in layer.offsets(grad[a:b]):
            target += delta[a:b] * (layer.winner[a:b] == offset)
    return run


def relu_forward(x):
    """ReLU forward as layers.ReLULayer computes it."""
    out, zero = np.empty_like(x), np.zeros((1,) * (x.ndim - 1) + x.shape[-1:], x.dtype)
    return lambda a, b: np.maximum(x[a:b], zero, out=out[a:b])


def relu_backward(delta, output):
    """δ ⊙ [f(u) > 0] as layers.ReLULayer computes it."""
    out = np.empty_like(delta)
    return lambda a, b: np.multiply(delta[a:b], output[a:b] > 0, out=out[a:b])


def update(rule, shape, rng, **settings):
    """(run, number of pieces): the rule's _update_fast over the BLOCK-sized pieces of one weight, a scratch
    per half."""
    layer = FCLayer(*shape, rng=0)
    grad = rng.standard_normal(shape, dtype=np.float32)
    optimizer = rule(Network([layer]), **settings)
    states = [np.zeros_like(layer.W) for _ in optimizer.slots]
    pieces = blocks(layer.W, grad, *states)
    scratch = {0: np.empty(2 * BLOCK, np.float32), len(pieces) // 2: np.empty(2 * BLOCK, np.float32)}

    def run(a, b):
        for piece in pieces[a:b]:
            state = dict(zip(optimizer.slots, piece[2:]), t=1)
            optimizer._update_fast(piece[0], piece[1], state, views_like(scratch[a], piece[0]), 0.0)
    return run, len(pieces)


def passes(rng):
    """[(name, values touched, run(start, stop), batch size)] of the passes at the course's shapes."""
    found = []
    for name, (C, F, H) in (('conv1', (1, 32, 28)), ('conv2', (32, 64, 14))):
        x = channels_last(rng, (64, C, H, H))
        found.append((f'{name} patches (copy into P)', 64 * H * H * 25 * C, patches(x), 64))
        u, pool = channels_last(rng, (64, F, H, H)), MaxPoolingLayer(2)
        pooled = pool.forward(u)
        found.append((f'{name} max pooling forward', u.size, pool_forward(pool, u), 64))
        delta = np.empty_like(pool.winner, dtype=np.float32)   # in the winners' layout, as backward makes it
        delta[...] = rng.standard_normal(delta.shape, dtype=np.float32)
        found.append((f'{name} max pooling backward', u.size, pool_backward(pool, delta), 64))
        for where, maps in (('before pooling', u), ('after pooling', pooled)):
            found.append((f'{name} ReLU forward {where}', maps.size, relu_forward(maps), 64))
            found.append((f'{name} ReLU backward {where}', maps.size, relu_backward(maps, np.maximum(maps, 0)), 64))
    hidden = rng.standard_normal((512, 256), dtype=np.float32)
    found.append(('MLP ReLU forward, batch 512', hidden.size, relu_forward(hidden), 512))
    for name, rule, shape, settings in (('Adam, conv2 W (64×800)', Adam, (800, 64), {'learning_rate': 0.001}),
                                        ('SGD momentum, MLP W1 (784×256)', SGD, (784, 256),
                                         {'learning_rate': 0.05, 'momentum': 0.9}),
                                        ('Adam, MLP W1 (784×256)', Adam, (784, 256), {'learning_rate': 0.001})):
        run, pieces = update(rule, shape, rng, **settings)
        found.append((f'{name} update', shape[0] * shape[1], run, pieces))
    return found


def training_steps(steps, rng):
    """Median ms of whole training steps (forward, loss, backward, update) of the ConvNet (batch 64, Adam) and the
    MLP (batch 512, SGD with momentum), two ways alternating step by step: as the library runs (BLAS's threads
    fitted to the cores other processes left free) and with BLAS at its own number of threads whatever the load
    (as before)."""
    from criterion import SoftmaxCrossEntropyLossLayer
    from network import build_convnet, build_mlp
    fitted = threads._free_cores
    ways = {'BLAS fitted to the free cores': fitted, 'BLAS at its setting': lambda: os.cpu_count() or 1}
    for name, net, batch, rule in (('ConvNet, batch 64', build_convnet(0), 64, lambda n: Adam(n, 0.001)),
                                   ('MLP 784-256-10, batch 512', build_mlp([256]), 512,
                                    lambda n: SGD(n, 0.05, momentum=0.9))):
        criterion, optimizer, times = SoftmaxCrossEntropyLossLayer(), rule(net), {way: [] for way in ways}
        for _ in range(steps + 1):
            for way, free in ways.items():
                threads._free_cores = free
                x, labels = rng.standard_normal((batch, 784), dtype=np.float32), rng.integers(0, 10, batch)
                begin = time.perf_counter()
                criterion.forward(net.forward(x), labels)
                net.backward(criterion.backward(), input_grad=False)
                optimizer.step()
                times[way].append(time.perf_counter() - begin)
        threads._free_cores = fitted
        medians = ', '.join(f'{way} {1000 * statistics.median(t[1:]):.1f}' for way, t in times.items())
        print(f'{name}: median ms per step, {medians}; load {os.getloadavg()[0]:.2f}', flush=True)


def timed(run, n, gemm, split_it):
    gemm()
    SPLIT['on'] = split_it
    begin = time.perf_counter()
    split(run, n)
    return time.perf_counter() - begin


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--gemm-threads', type=int, default=0,
                        help="the untimed GEMM's BLAS threads (default 0: BLAS's own number)")
    parser.add_argument('--no-gemm', action='store_true', help='no GEMM before the timed calls')
    parser.add_argument('--steps', type=int, default=0,
                        help='instead: time this many whole training steps of the ConvNet and the MLP two ways')
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.steps:
        return training_steps(args.steps, rng)
    a, b, c = (rng.standard_normal(s, dtype=np.float32) for s in ((512, 784), (784, 256), (512, 256)))
    control = threads._openblas()
    if args.gemm_threads and control:
        control[0](args.gemm_threads)
    gemm = (lambda: None) if args.no_gemm else (lambda: np.matmul(a, b, out=c))
    blas = control[1]() if control else '?'
    before = 'no GEMM' if args.no_gemm else f'a GEMM on {blas} BLAS threads'
    print(f'two threads per split pass; before each call {before}; load {os.getloadavg()[0]:.2f}; '
          f'median µs of {args.repeats} calls')
    print('| pass | values | inline µs | split µs | split / inline |')
    print('|---|---|---|---|---|')
    for name, size, run, n in passes(rng):
        times = {False: [], True: []}
        for i in range(args.repeats + 2):
            for split_it in ((False, True) if i % 2 else (True, False)):
                times[split_it].append(timed(run, n, gemm, split_it))
        inline, halves = (1e6 * statistics.median(times[p][2:]) for p in (False, True))
        print(f'| {name} | {size:,} | {inline:.0f} | {halves:.0f} | {halves / inline:.2f} |', flush=True)
    print(f'load after: {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
