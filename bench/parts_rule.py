"""Which networks gain from the batch cut into parts (parallel.py): a training step cut and not cut, side by side.

For build_convnet() at batch 64 and build_mlp([256]) at batch 32, 100 and 512 (float32, random batches, softmax
cross-entropy, Adam for the ConvNet and SGD with momentum for the MLP, as the benchmarks against PyTorch train
them), it times forward + backward + update three ways: the batch cut into P parts (P = numpy's BLAS threads,
BLAS on one thread inside) that run at once, as `Network` does for a ConvNet; the same parts one after the other
on one thread, as when the load leaves one core (the same numbers to the bit); and not cut, BLAS on its own
threads, as `Network` does for an MLP. The three take turns in blocks of BLOCK steps; it prints the median
milliseconds of each and the ratio of the first to the last. parallel.part_count cuts only networks with a
ConvLayer: this is the measurement behind that rule. With --busy-neighbour another process spins on one core
all the while: the parts run at once still beat the parts in turn (threads.run_parts is not fitted to the load).

    python bench/parts_rule.py --steps 60
    python bench/parts_rule.py --steps 60 --nets convnet --busy-neighbour
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import parallel  # noqa: E402
import threads  # noqa: E402
from criterion import SoftmaxCrossEntropyLossLayer  # noqa: E402
from compare_convnet import busy_core  # noqa: E402
from network import build_convnet, build_mlp  # noqa: E402
from optimizer import SGD, Adam  # noqa: E402

BLOCK = 10   # steps in a row of one side: OpenBLAS's threads spin on after a product, and a step of the
             # other side right after waits for them
MODES = ('at once', 'in turn', 'not cut')
CASES = (('ConvNet', 64), ('MLP 784-256-10', 32), ('MLP 784-256-10', 100), ('MLP 784-256-10', 512))


def stepper(name, batch, mode, rng):
    """A function running one training step of a fresh net in `mode`: its batch cut into parts that run at once
    ('at once'), cut into the same parts run one after the other on the caller's thread ('in turn'), or not cut."""
    net = build_convnet(0) if name == 'ConvNet' else build_mlp([256], seed=0)
    optimizer = Adam(net, 0.001) if name == 'ConvNet' else SGD(net, 0.05, momentum=0.9)
    criterion, x = SoftmaxCrossEntropyLossLayer(), rng.standard_normal((batch, 784)).astype(np.float32)
    labels, parts = rng.integers(0, 10, batch), 1 if mode == 'not cut' else threads.blas_threads()
    chosen, run_parts = parallel.part_count, threads.run_parts

    def step():
        parallel.part_count = lambda layers, rows: parts if rows >= 2 * parallel.MIN_PART else 1
        if mode == 'in turn':
            threads.run_parts = lambda task, count: [task(k) for k in range(count)]
        try:
            criterion.forward(net.forward(x), labels)
            net.backward(criterion.backward(), input_grad=False)
        finally:
            parallel.part_count, threads.run_parts = chosen, run_parts
        optimizer.step()
    return step


def medians(name, batch, steps, rng):
    """{mode: median ms of a step} over `steps` steps of each mode, the modes taking turns in blocks of BLOCK."""
    run = {mode: stepper(name, batch, mode, rng) for mode in MODES}
    times = {mode: [] for mode in MODES}
    for block in range(len(MODES) * (steps // BLOCK + 1)):
        mode = MODES[block % len(MODES)]
        for i in range(BLOCK + 2):   # the first 2 of a block wait out the other modes' threads
            begin = time.perf_counter()
            run[mode]()
            if i >= 2:
                times[mode].append(time.perf_counter() - begin)
    return {mode: 1000 * statistics.median(times[mode]) for mode in MODES}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=60, help='timed steps per side and case (default 60)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--busy-neighbour', action='store_true', help='another process keeps one core busy meanwhile')
    parser.add_argument('--nets', choices=('all', 'convnet'), default='all', help='all four cases, or the ConvNet only')
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f'BLAS threads {threads.blas_threads()}, load {os.getloadavg()[0]:.2f}'
          + ('; a busy neighbour on one core' if args.busy_neighbour else '') + '; median ms per training step')
    print('| net | batch | cut, parts at once | cut, parts in turn | not cut | at once / not cut |')
    print('|---|---|---|---|---|---|')
    with busy_core(args.busy_neighbour):
        for name, batch in CASES[:1] if args.nets == 'convnet' else CASES:
            ms = medians(name, batch, args.steps, rng)
            print(f"| {name} | {batch} | {ms['at once']:.2f} | {ms['in turn']:.2f} | {ms['not cut']:.2f} | "
                  f"{ms['at once'] / ms['not cut']:.2f} |", flush=True)
    print(f'load now {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
