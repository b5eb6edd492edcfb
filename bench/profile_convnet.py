"""Where a training step of network.build_convnet() spends its time: per layer, forward and backward, and Adam.

Times every layer's forward and backward (time.perf_counter around each call) over a number of
training steps on random batches of 64 images, and prints the median milliseconds per step of each,
so the largest costs that are not GEMMs can be found. Threads as numpy's BLAS has them.

    OPENBLAS_NUM_THREADS=2 python bench/profile_convnet.py --steps 50
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def profile(steps, batch_size, seed):
    """{(layer index, repr, 'forward'|'backward'): [ms per step]} and the Adam step's [ms]."""
    from criterion import SoftmaxCrossEntropyLossLayer
    from network import build_convnet
    from optimizer import Adam
    net, criterion = build_convnet(seed), SoftmaxCrossEntropyLossLayer()
    optimizer, rng, times = Adam(net, 0.001), np.random.default_rng(seed), {}
    layers = net.layers
    for _ in range(steps):
        x = rng.random((batch_size, 784), dtype=np.float32)
        labels = rng.integers(0, 10, batch_size)
        for k, layer in enumerate(layers):
            begin = time.perf_counter()
            x = layer.forward(x)
            times.setdefault((k, repr(layer), 'forward'), []).append(time.perf_counter() - begin)
        criterion.forward(x, labels)
        delta = criterion.backward()
        for k in range(len(layers) - 1, 0, -1):
            layer, begin = layers[k], time.perf_counter()
            delta = layer.backward(delta) if k > 1 else layer.gradients(delta)
            times.setdefault((k, repr(layer), 'backward'), []).append(time.perf_counter() - begin)
        begin = time.perf_counter()
        optimizer.step()
        times.setdefault((len(layers), 'Adam', 'step'), []).append(time.perf_counter() - begin)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=50)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    times = profile(args.steps, args.batch_size, args.seed)
    total = 0.0
    for (k, name, phase), seconds in sorted(times.items(), key=lambda item: (item[0][2] != 'forward', item[0][0])):
        ms = 1000 * statistics.median(seconds[1:] or seconds)
        total += ms
        print(f'{k:2d} {name:45s} {phase:8s} {ms:7.2f} ms')
    print(f'sum of medians {total:.1f} ms per step; load {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
