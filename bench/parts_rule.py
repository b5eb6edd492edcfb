"""Which networks gain from the batch cut into parts (parallel.py): a training step cut and not cut, side by side.

For build_convnet() at batch 64 and build_mlp([256]) at batch 32, 100 and 512 (float32, random batches, softmax
cross-entropy, Adam for the ConvNet and SGD with momentum for the MLP, as the benchmarks against PyTorch train
them), it times forward + backward + update twice per round, once with the batch cut into P parts (P = numpy's
BLAS threads, the parts at once, BLAS on one thread inside: what `Network` does for a ConvNet) and once not cut
(BLAS on its own threads: what it does for an MLP), the two alternating in blocks of BLOCK steps, and prints the
median milliseconds of each and their ratio. parallel.part_count cuts only networks with a ConvLayer: this is the
measurement behind that rule.

    python bench/parts_rule.py --steps 60
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
from network import build_convnet, build_mlp  # noqa: E402
from optimizer import SGD, Adam  # noqa: E402

BLOCK = 10   # steps in a row of one side: OpenBLAS's threads spin on after a product, and a step of the
             # other side right after waits for them
CASES = (('ConvNet', 64), ('MLP 784-256-10', 32), ('MLP 784-256-10', 100), ('MLP 784-256-10', 512))


def stepper(name, batch, cut, rng):
    """A function running one training step of a fresh net, its batch cut into parts or not."""
    net = build_convnet(0) if name == 'ConvNet' else build_mlp([256], seed=0)
    optimizer = Adam(net, 0.001) if name == 'ConvNet' else SGD(net, 0.05, momentum=0.9)
    criterion, x = SoftmaxCrossEntropyLossLayer(), rng.standard_normal((batch, 784)).astype(np.float32)
    labels, parts = rng.integers(0, 10, batch), threads.blas_threads() if cut else 1
    chosen = parallel.part_count

    def step():
        parallel.part_count = lambda layers, rows: parts if rows >= 2 * parallel.MIN_PART else 1
        try:
            criterion.forward(net.forward(x), labels)
            net.backward(criterion.backward(), input_grad=False)
        finally:
            parallel.part_count = chosen
        optimizer.step()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=60, help='timed steps per side and case (default 60)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f'BLAS threads {threads.blas_threads()}, load {os.getloadavg()[0]:.2f}; median ms per training step')
    print('| net | batch | cut into parts | not cut | cut / not cut |')
    print('|---|---|---|---|---|')
    for name, batch in CASES:
        steps = {cut: stepper(name, batch, cut, rng) for cut in (True, False)}
        times = {True: [], False: []}
        for block in range(2 * (args.steps // BLOCK + 1)):
            cut = block % 2 == 0
            for i in range(BLOCK + 2):   # the first 2 of a block wait out the other side's threads
                begin = time.perf_counter()
                steps[cut]()
                if i >= 2:
                    times[cut].append(time.perf_counter() - begin)
        cut, whole = (1000 * statistics.median(times[c]) for c in (True, False))
        print(f'| {name} | {batch} | {cut:.2f} | {whole:.2f} | {cut / whole:.2f} |', flush=True)
    print(f'load now {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
