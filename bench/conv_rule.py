"""Where ConvLayer's FFT path (fastconv.py) beats the patch GEMM: the measurements behind fastconv.MIN_DEPTH.

For each layer shape (in channels C, filters F, map size H = W, kernel k, pad k // 2, float32) it times a
training forward + backward (dE/dx and the parameters' gradients) of the same layer by both paths, the two
alternating call by call, and prints the median milliseconds of each, their ratio and the depth C·k·k of
the patch matrix, the quantity fastconv.suits compares with MIN_DEPTH. Threads as numpy's BLAS has them;
--clock cpu reads the process's CPU time (on a busy machine with one thread: without the waits for a core).

    python bench/conv_rule.py --batch-size 64 --calls 15
    OPENBLAS_NUM_THREADS=1 python bench/conv_rule.py --clock cpu
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SHAPES = [(C, 32, 28, k) for k in (3, 5) for C in (1, 4, 8, 16, 32)] + \
         [(C, 64, 14, k) for k in (3, 5) for C in (1, 4, 8, 16, 32, 64)]


CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}


def step_times(C, F, H, k, batch_size, calls, clock=time.perf_counter, seed=0):
    """{'gemm': [s], 'fft': [s]}: forward + backward of ConvLayer(C, F, k, k // 2) on batches (N, C, H, H)."""
    from conv import ConvLayer
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch_size, C, H, H), dtype=np.float32)
    delta = rng.standard_normal((batch_size, F, H, H), dtype=np.float32)
    layers = {name: ConvLayer(C, F, k, k // 2, rng=seed, algorithm=name) for name in ('gemm', 'fft')}
    times = {name: [] for name in layers}
    for _ in range(calls + 1):   # the first call of each is not counted (allocations, FFT plans)
        for name, layer in layers.items():
            begin = clock()
            layer.forward(x)
            layer.backward(delta)
            times[name].append(clock() - begin)
    return {name: t[1:] for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--calls', type=int, default=15)
    parser.add_argument('--clock', choices=CLOCKS, default='wall', help='wall time (default) or CPU time')
    args = parser.parse_args()
    print(f'batch {args.batch_size}, {args.calls} calls per path, {args.clock} clock; load {os.getloadavg()[0]:.2f}')
    print('| C | F | H | k | depth C·k² | GEMM ms | FFT ms | FFT / GEMM |')
    print('|---|---|---|---|---|---|---|---|')
    for C, F, H, k in sorted(SHAPES, key=lambda s: s[0] * s[3] ** 2):
        times = step_times(C, F, H, k, args.batch_size, args.calls, CLOCKS[args.clock])
        gemm, fft = (1000 * statistics.median(times[name]) for name in ('gemm', 'fft'))
        print(f'| {C} | {F} | {H} | {k} | {C * k * k} | {gemm:.2f} | {fft:.2f} | {fft / gemm:.2f} |', flush=True)
    print(f'load now {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
