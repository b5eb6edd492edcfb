"""What the pool of threads.py buys per element-wise pass: each pass timed inline and split over the pool, side by side.

The passes are the library's own where the pool is wired in (ConvLayer.patches, MaxPoolingLayer.forward, an
optimizer's step over one large parameter) and, for the passes it is not wired into, the same numpy calls split
the same way by threads.over_batch (ReLU forward and backward, max pooling's backward), at the shapes of the
CNN case's ConvNet (batch 64) and of the MLP 784-256-10 (batch 512). The pool is used whatever other processes
do (--as-loaded: as the library does, inline while fewer than two cores are free). Before every timed call a
GEMM of the MLP's size (512×784 by 784×256) runs untimed, as in training, where every pass follows a GEMM and
BLAS's threads are still awake. The two ways alternate call by call; it prints the median µs of each and their
ratio.

    python bench/threads_passes.py --repeats 200
    OPENBLAS_NUM_THREADS=1 python bench/threads_passes.py   # one thread: both columns inline
    python bench/threads_passes.py --steps 40   # whole training steps: fitted to the free cores or not
"""
import argparse
import contextlib
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import threads  # noqa: E402
from conv import ConvLayer  # noqa: E402
from layers import FCLayer  # noqa: E402
from network import Network  # noqa: E402
from optimizer import SGD, Adam  # noqa: E402
from pooling import MaxPoolingLayer  # noqa: E402


def channels_last(rng, shape):
    """Random float32 maps (N, C, H, W) laid out (N, H, W, C) in memory, as a ConvLayer hands them on."""
    N, C, H, W = shape
    return rng.standard_normal((N, H, W, C), dtype=np.float32).transpose(0, 3, 1, 2)


def relu_forward(x):
    """ReLU forward as layers.ReLULayer computes it, its batch split over the pool."""
    out, zero = np.empty_like(x), np.zeros((1, 1, 1) + x.shape[3:], x.dtype)
    return lambda: threads.over_batch(lambda a, b: np.maximum(x[a:b], zero, out=out[a:b]), len(x), x.size)


def relu_backward(delta, output):
    """δ ⊙ [f(u) > 0] as layers.ReLULayer computes it, split over the pool."""
    out = np.empty_like(delta)
    return lambda: threads.over_batch(lambda a, b: np.multiply(delta[a:b], output[a:b] > 0, out=out[a:b]),
                                      len(delta), delta.size)


def pool_backward(layer, delta):
    """MaxPoolingLayer.backward's loop (its solution region) over parts of the batch."""
    N, C, H, W = layer.input_shape

    def run():
        grad = np.zeros((N, H, W, C), delta.dtype).transpose(0, 3, 1, 2)

        def part(a, b):
            for offset, target in layer.offsets(grad[a:b]):
                target += delta[a:b] * (layer.winner[a:b] == offset)
        threads.over_batch(part, N, grad.size)
    return run


def optimizer_step(rule, shape, rng, **settings):
    layer = FCLayer(*shape, rng=0)
    layer.grad_W = rng.standard_normal(shape, dtype=np.float32)
    layer.grad_b = rng.standard_normal((1, shape[1]), dtype=np.float32)
    optimizer = rule(Network([layer]), **settings)
    return optimizer.step


def passes(rng):
    """[(name, values touched, call)] of the passes at the course's shapes."""
    found = []
    for name, (C, F, H) in (('conv1', (1, 32, 28)), ('conv2', (32, 64, 14))):
        conv, x = ConvLayer(C, F, 5, 2, rng=0), channels_last(rng, (64, C, H, H))
        found.append((f'{name} patches (copy into P)', 64 * H * H * 25 * C, lambda conv=conv, x=x: conv.patches(x)))
        u = channels_last(rng, (64, F, H, H))
        pool = MaxPoolingLayer(2)
        pooled = pool.forward(u)
        found.append((f'{name} max pooling forward', u.size, lambda pool=pool, u=u: pool.forward(u)))
        delta = np.empty_like(pool.winner, dtype=np.float32)   # in the winners' layout, as backward makes it
        delta[...] = rng.standard_normal(delta.shape, dtype=np.float32)
        found.append((f'{name} max pooling backward (candidate)', u.size, pool_backward(pool, delta)))
        for where, maps in (('before pooling', u), ('after pooling', np.ascontiguousarray(pooled))):
            found.append((f'{name} ReLU forward {where} (candidate)', maps.size, relu_forward(maps)))
            found.append((f'{name} ReLU backward {where} (candidate)', maps.size,
                          relu_backward(maps, np.maximum(maps, 0))))
    mlp = rng.standard_normal((512, 256), dtype=np.float32)
    found.append(('MLP ReLU forward, batch 512 (candidate)', mlp.size, relu_forward(mlp[:, None, None, :])))
    found.append(('Adam step, conv2 W (64×800)', 51200, optimizer_step(Adam, (800, 64), rng, learning_rate=0.001)))
    found.append(('SGD momentum step, MLP W1 (784×256)', 784 * 256,
                  optimizer_step(SGD, (784, 256), rng, learning_rate=0.05, momentum=0.9)))
    found.append(('Adam step, MLP W1 (784×256)', 784 * 256,
                  optimizer_step(Adam, (784, 256), rng, learning_rate=0.001)))
    return found


def training_steps(steps, rng):
    """Median ms of whole training steps (forward, loss, backward, update) of the ConvNet (batch 64, Adam) and the
    MLP (batch 512, SGD with momentum), three ways alternating step by step: as the library runs (pool and BLAS
    fitted to the free cores), fitted to none (pool and BLAS at the setting whatever other processes do, as
    before this change), and inline (BLAS at the setting, no pool)."""
    from criterion import SoftmaxCrossEntropyLossLayer
    from network import build_convnet, build_mlp
    fitted = threads._free_cores
    ways = {'fitted to the free cores': (fitted, False), 'pool and BLAS at the setting': (threads.setting, False),
            'inline, BLAS at the setting': (threads.setting, True)}
    for name, net, batch, rule in (('ConvNet, batch 64', build_convnet(0), 64, lambda n: Adam(n, 0.001)),
                                   ('MLP 784-256-10, batch 512', build_mlp([256]), 512,
                                    lambda n: SGD(n, 0.05, momentum=0.9))):
        criterion, optimizer, times = SoftmaxCrossEntropyLossLayer(), rule(net), {way: [] for way in ways}
        for i in range(steps + 1):
            for way, (free, inline) in ways.items():
                threads._free_cores = free
                x, labels = rng.standard_normal((batch, 784), dtype=np.float32), rng.integers(0, 10, batch)
                begin = time.perf_counter()
                with threads.inline() if inline else contextlib.nullcontext():
                    criterion.forward(net.forward(x), labels)
                    net.backward(criterion.backward(), input_grad=False)
                    optimizer.step()
                times[way].append(time.perf_counter() - begin)
        threads._free_cores = fitted
        medians = ', '.join(f'{way} {1000 * statistics.median(t[1:]):.1f}' for way, t in times.items())
        print(f'{name}: median ms per step, {medians}; load {os.getloadavg()[0]:.2f}')


def timed(call, gemm, pool):
    gemm()
    begin = time.perf_counter()
    if pool:
        call()
    else:
        with threads.inline():
            call()
    return time.perf_counter() - begin


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--as-loaded', action='store_true',
                        help='run passes inline while other processes hold a core, as the library does '
                             '(default: the pool is used whatever the load)')
    parser.add_argument('--steps', type=int, default=0,
                        help='instead: time this many whole training steps of the ConvNet and the MLP three ways')
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.steps:
        return training_steps(args.steps, rng)
    a, b, c = (rng.standard_normal(s, dtype=np.float32) for s in ((512, 784), (784, 256), (512, 256)))
    gemm = lambda: np.matmul(a, b, out=c)
    free = threads._free_cores()
    saved, threads.MIN_ELEMENTS = threads.MIN_ELEMENTS, 0   # every pass split: measure, whatever its size
    if not args.as_loaded:
        threads._free_cores = lambda: threads.setting()   # the pool used whatever other processes do
    print(f'pool of {threads.setting()} threads (free cores at the start: {free}'
          f'{"" if args.as_loaded else "; used whatever the load"}), load '
          f'{os.getloadavg()[0]:.2f}; median µs of {args.repeats} calls; the library splits passes of '
          f'>= {saved:,} values')
    print('| pass | values | inline µs | pool µs | pool / inline |')
    print('|---|---|---|---|---|')
    for name, size, call in passes(rng):
        times = {False: [], True: []}
        for i in range(args.repeats + 2):
            for pool in ((False, True) if i % 2 else (True, False)):
                times[pool].append(timed(call, gemm, pool))
        inline, split = (1e6 * statistics.median(times[p][2:]) for p in (False, True))
        print(f'| {name} | {size:,} | {inline:.0f} | {split:.0f} | {split / inline:.2f} |', flush=True)
    print(f'load after: {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
