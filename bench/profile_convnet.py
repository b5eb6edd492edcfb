"""Where a training step of network.build_convnet() spends its time: per layer, forward and backward, and Adam.

Times every layer's forward and backward (time.perf_counter around each call) over a number of
training steps on random batches of 64 images, and prints the median milliseconds per step of each,
so the largest costs that are not GEMMs can be found. Two nets side by side in the same run, their steps
alternating: the convolutions as ConvLayer chooses them ('auto': the FFT path where fastconv.suits says,
the plain patch GEMM elsewhere) and all by the plain patch GEMM ('gemm', the code before the FFT path).
Threads as numpy's BLAS has them. --clock cpu reads the process's CPU time instead of the wall clock:
on a busy machine, with one thread, it leaves out the time the process waited for a core.

    OPENBLAS_NUM_THREADS=2 python bench/profile_convnet.py --steps 50
    OPENBLAS_NUM_THREADS=1 python bench/profile_convnet.py --steps 30 --clock cpu
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}


def profile(steps, batch_size, seed, algorithms=('gemm', 'auto'), clock=time.perf_counter):
    """{(layer index, repr, 'forward'|'backward'|'step'): {algorithm: [seconds per step]}}."""
    from conv import ConvLayer
    from criterion import SoftmaxCrossEntropyLossLayer
    from network import build_convnet
    from optimizer import Adam
    nets, rng, times = {}, np.random.default_rng(seed), {}
    for algorithm in algorithms:
        net = build_convnet(seed)
        for layer in (layer for layer in net.layers if isinstance(layer, ConvLayer)):
            layer.algorithm = algorithm
        nets[algorithm] = net, Adam(net, 0.001), SoftmaxCrossEntropyLossLayer()
    for _ in range(steps):
        x, labels = rng.random((batch_size, 784), dtype=np.float32), rng.integers(0, 10, batch_size)
        for algorithm, (net, optimizer, criterion) in nets.items():
            for key, seconds in timed_step(net, optimizer, criterion, x, labels, clock):
                times.setdefault(key, {}).setdefault(algorithm, []).append(seconds)
    return times


def timed_step(net, optimizer, criterion, x, labels, clock):
    """[((layer index, repr, phase), seconds)] of one training step, layer by layer."""
    layers, out = net.layers, []
    for k, layer in enumerate(layers):
        begin = clock()
        x = layer.forward(x)
        out.append(((k, repr(layer), 'forward'), clock() - begin))
    criterion.forward(x, labels)
    delta = criterion.backward()
    for k in range(len(layers) - 1, 0, -1):
        layer, begin = layers[k], clock()
        delta = layer.backward(delta) if k > 1 else layer.gradients(delta)
        out.append(((k, repr(layer), 'backward'), clock() - begin))
    begin = clock()
    optimizer.step()
    return out + [((len(layers), 'Adam', 'step'), clock() - begin)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=50)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--clock', choices=CLOCKS, default='wall', help='wall time (default) or CPU time')
    args = parser.parse_args()
    times = profile(args.steps, args.batch_size, args.seed, clock=CLOCKS[args.clock])
    algorithms = list(next(iter(times.values())))
    print(f'median ms ({args.clock}) per step, batch {args.batch_size}, {args.steps} steps; '
          f'load {os.getloadavg()[0]:.2f}')
    print(f"{'':48s} {'phase':8s} " + ' '.join(f'{a:>7s}' for a in algorithms))
    totals = dict.fromkeys(algorithms, 0.0)
    for (k, name, phase), by in sorted(times.items(), key=lambda item: (item[0][2] != 'forward', item[0][0])):
        ms = {a: 1000 * statistics.median(by[a][1:] or by[a]) for a in algorithms}
        for a in algorithms:
            totals[a] += ms[a]
        print(f'{k:2d} {name:45s} {phase:8s} ' + ' '.join(f'{ms[a]:7.2f}' for a in algorithms))
    print(f"{'sum of medians':57s} " + ' '.join(f'{totals[a]:7.1f}' for a in algorithms)
          + f'; load {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
