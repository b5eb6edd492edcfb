"""The course's case-2 hyperparameters under both gradient conventions: a table for docs/results.md.

The course's mlp.ipynb ships SGD(0.001, 0.1), batch 100, 5 epochs, for four networks 784-128-10
(sigmoid or ReLU, Euclidean or softmax cross-entropy loss). Each runs here through the course's own
`train` / `test` with the loss layer's reduction='mean' (the project's default) and 'sum' (the
convention those values were chosen for), and with SGD(0.1, 0.001) under 'mean' (α×100, λ÷100: the
same steps as 'sum'). The authors' figures are those quoted in issue 21.

    OPENBLAS_NUM_THREADS=1 /work/venv/bin/python bench/course_reduction.py [--epochs 5]
"""
import argparse
import contextlib
import io
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from criterion import EuclideanLossLayer, SoftmaxCrossEntropyLossLayer  # noqa: E402
from dataloader import load_mnist  # noqa: E402
from layers import FCLayer, ReLULayer, SigmoidLayer  # noqa: E402
from network import Network  # noqa: E402
from optimizer import SGD  # noqa: E402
from solver import test, train  # noqa: E402

NETWORKS = [   # (label, activation, loss layer, the author's test accuracy quoted in issue 21 or None)
    ('sigmoid, Euclidean', 'sigmoid', EuclideanLossLayer, None),
    ('ReLU, Euclidean', 'relu', EuclideanLossLayer, None),
    ('sigmoid, softmax CE', 'sigmoid', SoftmaxCrossEntropyLossLayer, 0.9279),
    ('ReLU, softmax CE', 'relu', SoftmaxCrossEntropyLossLayer, None),
]
RUNS = [   # (column, reduction, α, λ)
    ("SGD(0.001, 0.1), reduction='mean'", 'mean', 0.001, 0.1),
    ("SGD(0.001, 0.1), reduction='sum'", 'sum', 0.001, 0.1),
    ("SGD(0.1, 0.001), reduction='mean'", 'mean', 0.1, 0.001),
]


def run(activation, loss_class, reduction, lr, decay, epochs, data):
    """(test accuracy, whether the slow-start hint was printed) of one course run, quietly."""
    act = {'relu': ReLULayer, 'sigmoid': SigmoidLayer}[activation]
    net = Network([FCLayer(784, 128, activation, rng=0), act(), FCLayer(128, 10, activation, rng=1)])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        train(net, loss_class(reduction=reduction), SGD(lr, decay), data[0], epochs, 100, 10 ** 9)
        accuracy = test(net, loss_class(), data[1], 100)
    return accuracy, 'Hint:' in printed.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=5)
    args = parser.parse_args(argv)
    data = load_mnist(os.path.join(ROOT, 'data'))
    print(f"| network ({args.epochs} epochs, batch 100) | author's notebook | "
          + ' | '.join(column for column, *_ in RUNS) + ' |')
    print('|---|---|' + '---|' * len(RUNS))
    for label, activation, loss_class, author in NETWORKS:
        cells = []
        for _, reduction, lr, decay in RUNS:
            accuracy, hinted = run(activation, loss_class, reduction, lr, decay, args.epochs, data)
            cells.append(f'{accuracy:.4f}' + (' (hint)' if hinted else ''))
        print(f"| {label} | {'' if author is None else f'{author:.4f}'} | " + ' | '.join(cells) + ' |', flush=True)


if __name__ == '__main__':
    main()
