"""The CNN case's ConvNet in numpy (network.build_convnet) against the same net in PyTorch 2.13 (CPU).

conv 5×5×32 pad 2 -> ReLU -> max pool 2 -> conv 5×5×64 pad 2 -> ReLU -> max pool 2 -> flatten -> FC 3136->10,
softmax cross-entropy, Adam (α = 0.001, β₁ 0.9, β₂ 0.999, ε 1e-8), float32. Both sides start from the
project's initial weights (W (F, C, kh, kw) is Conv2d's weight as it is; FC's W is Linear's weightᵀ),
train on the same batches in the same order (the project's Dataloader over its 55,000-image training
split, shuffled from the seed) with the same number of threads (torch.set_num_threads = numpy's BLAS
threads), then evaluate the 10,000 test images in chunks of 2,000 (the Solver's). Every run is a fresh
process of one side (the project's never imports torch), the sides alternate and the first side
alternates, so the machine's load falls on both alike. Per run it prints the median time of a training
step (forward + backward + Adam) per batch, the seconds of the epoch(s), the test accuracy, the peak
RSS at the end of training and after the test evaluation, and the ratio of the two sides.

With --end-to-end the project's side is the command line itself, `python solver.py --convnet --epochs E
--batch-size B --seed S` (a validation pass of 5,000 images after each epoch, the test pass, the curves'
figure), and PyTorch's the same net, batches and passes; each side's whole process is timed from start to
exit (imports and data loading included), with its peak RSS (os.wait4) and its test accuracy.

    /work/venv-bench/bin/python bench/compare_convnet.py                       # 3 runs x 1 epoch
    /work/venv-bench/bin/python bench/compare_convnet.py --runs 3 --batches 200  # 200 batches per run
    /work/venv-bench/bin/python bench/compare_convnet.py --end-to-end --epochs 2 --runs 1
    /work/venv-bench/bin/python bench/compare_convnet.py --runs 3 --batches 200 --busy-neighbour   # one core taken
"""
import argparse
import contextlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
EVAL_CHUNK = 2000


def rss_mib():
    """Peak resident set size of this process so far, MiB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def data(job, split='test'):
    from dataloader import Dataloader, Dataset
    root = os.path.join(ROOT, 'data')
    train = Dataloader(Dataset(root, 'train'), job['batch_size'], shuffle=True, rng=job['seed'])
    return train, Dataloader(Dataset(root, split), EVAL_CHUNK)


def timed_epochs(job, train, step, after_epoch=None):
    """Run `step(x, labels)` over job['epochs'] epochs (at most job['batches'] batches each), then
    `after_epoch()` if given: (seconds of every step, seconds in all)."""
    steps, start = [], time.perf_counter()
    for _ in range(job['epochs']):
        for count, (images, labels) in enumerate(train):
            if job['batches'] and count == job['batches']:
                break
            begin = time.perf_counter()
            step(images, labels)
            steps.append(time.perf_counter() - begin)
        if after_epoch:
            after_epoch()
    return steps, time.perf_counter() - start


def run_project(job):
    from criterion import SoftmaxCrossEntropyLossLayer
    from network import build_convnet
    from optimizer import Adam
    from loop import evaluate
    net, criterion = build_convnet(job['seed']), SoftmaxCrossEntropyLossLayer()
    optimizer, (train, test) = Adam(net, 0.001), data(job)

    def step(images, labels):
        criterion.forward(net.forward(images), labels)
        net.backward(criterion.backward(), input_grad=False)
        optimizer.step()
    steps, seconds = timed_epochs(job, train, step)
    trained_rss = rss_mib()
    _, accuracy = evaluate(net, criterion, test)
    return steps, seconds, accuracy, trained_rss


def run_torch(job):
    import torch
    from network import build_convnet
    torch.set_num_threads(job['threads'])
    layers = [layer for layer in build_convnet(job['seed']).layers if hasattr(layer, 'W')]
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 5, padding=2),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 10))
    with torch.no_grad():
        for module, layer in zip([m for m in model if hasattr(m, 'weight')], layers):
            module.weight.copy_(torch.from_numpy(layer.W if layer.W.ndim == 4 else layer.W.T.copy()))
            module.bias.copy_(torch.from_numpy(layer.b.reshape(-1)))
    optimizer, (train, test) = torch.optim.Adam(model.parameters(), 0.001), data(job)
    val = data(job, 'val')[1] if job.get('end_to_end') else None

    def step(images, labels):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(torch.from_numpy(images).view(-1, 1, 28, 28)),
                                           torch.from_numpy(labels))
        loss.backward()
        optimizer.step()
    steps, seconds = timed_epochs(job, train, step, val and (lambda: torch_accuracy(model, val)))
    trained_rss = rss_mib()
    return steps, seconds, torch_accuracy(model, test), trained_rss


def torch_accuracy(model, loader):
    """The accuracy of a torch model over a loader's (images, labels), in eval mode without gradients."""
    import torch
    correct = 0
    model.eval()
    with torch.no_grad():
        for images, labels in loader:
            scores = model(torch.from_numpy(images).view(-1, 1, 28, 28))
            correct += int((scores.argmax(1) == torch.from_numpy(labels)).sum())
    model.train()
    return correct / len(loader.dataset)


def worker(job):
    steps, seconds, accuracy, trained_rss = (run_torch if job['side'] == 'torch' else run_project)(job)
    print(json.dumps({'step_ms': 1000 * statistics.median(steps) if steps else None, 'seconds': seconds,
                      'accuracy': accuracy, 'train_rss': trained_rss, 'peak_rss': rss_mib(), 'batches': len(steps)}))


def end_to_end(side, args, threads):
    """{'seconds', 'accuracy', 'peak_rss'} of one whole process: solver.py's command line for the project,
    this file's PyTorch job with the same passes for PyTorch; wall time from start to exit."""
    if side == 'project':
        command = [sys.executable, os.path.join(ROOT, 'solver.py'), '--convnet', '--epochs', str(args.epochs),
                   '--batch-size', str(args.batch_size), '--seed', str(args.seed),
                   '--data-root', os.path.join(ROOT, 'data')]
    else:
        job = {'side': side, 'seed': args.seed, 'batch_size': args.batch_size, 'epochs': args.epochs, 'batches': 0,
               'threads': threads, 'end_to_end': True}
        command = [sys.executable, os.path.abspath(__file__), '--job', json.dumps(job)]
    with tempfile.TemporaryDirectory() as folder:   # solver.py writes curves.png where it runs
        with open(os.path.join(folder, 'out'), 'w+') as out_file, open(os.path.join(folder, 'err'), 'w+') as err_file:
            begin = time.perf_counter()
            process = subprocess.Popen(command, cwd=folder, stdout=out_file, stderr=err_file)
            _, status, usage = os.wait4(process.pid, 0)   # this child's own peak RSS
            seconds = time.perf_counter() - begin
            process.returncode = os.waitstatus_to_exitcode(status)
            out, err = (f.seek(0) or f.read() for f in (out_file, err_file))
    if process.returncode:
        raise RuntimeError(f'{" ".join(command)} exited with {process.returncode}: {err[-2000:]}')
    if side == 'project':
        accuracy = float(re.findall(r'^Test loss \S+\s+Test accuracy (\S+)$', out, re.M)[-1])
    else:
        accuracy = json.loads(out.strip().splitlines()[-1])['accuracy']
    return {'seconds': seconds, 'accuracy': accuracy, 'peak_rss': usage.ru_maxrss / 1024}


def alternate(runs, measure, row):
    """{side: [measure(side) per run]}, the sides alternating and so the side that goes first; row(i, side,
    result), a table row, printed as each result arrives."""
    results = {'project': [], 'torch': []}
    for i in range(runs):
        for side in (('project', 'torch') if i % 2 == 0 else ('torch', 'project')):
            results[side].append(measure(side))
            print(row(i, side, results[side][-1]), flush=True)
    return results


def compare_end_to_end(args, threads):
    """Print each run of both sides (wall seconds, test accuracy, peak RSS), then the medians and their ratio."""
    print('| run | side | wall s | test acc | peak RSS MiB |')
    print('|---|---|---|---|---|')
    results = alternate(args.runs, lambda side: end_to_end(side, args, threads),
                        lambda i, side, r: f"| {i} | {side} | {r['seconds']:.1f} | {r['accuracy']:.4f} | "
                                           f"{r['peak_rss']:.0f} |")
    mine, theirs = (statistics.median(r['seconds'] for r in results[s]) for s in ('project', 'torch'))
    ratios = [p['seconds'] / t['seconds'] for p, t in zip(results['project'], results['torch'])]
    print(f'median wall: project {mine:.1f} s, PyTorch {theirs:.1f} s, ratio {mine / theirs:.2f} (per run: '
          f'{", ".join(f"{r:.2f}" for r in ratios)}); load now {os.getloadavg()[0]:.2f}')


def numpy_threads():
    """(threads, kernels) of numpy's BLAS, as threadpoolctl reads them."""
    from threadpoolctl import threadpool_info
    blas = [i for i in threadpool_info() if i['user_api'] == 'blas']
    return max((i['num_threads'] for i in blas), default=1), '/'.join(str(i.get('architecture')) for i in blas)


def run(side, args, threads):
    job = {'side': side, 'seed': args.seed, 'batch_size': args.batch_size, 'epochs': args.epochs,
           'batches': args.batches, 'threads': threads}
    out = subprocess.run([sys.executable, os.path.abspath(__file__), '--job', json.dumps(job)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--batches', type=int, default=0, help='batches per epoch (default 0: the whole epoch)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--end-to-end', action='store_true', help="time solver.py's whole run against PyTorch's")
    parser.add_argument('--busy-neighbour', action='store_true',
                        help='another process keeps one core busy while both sides run (a laptop with a browser open)')
    parser.add_argument('--job', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        return worker(json.loads(args.job))
    with busy_core(args.busy_neighbour):
        compare(args)


@contextlib.contextmanager
def busy_core(active):
    """Within it (if active) a separate process spins on one core, for both sides alike."""
    if not active:
        yield
        return
    neighbour = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
    try:
        yield
    finally:
        neighbour.kill()
        neighbour.wait()


def compare(args):
    """Both sides, alternating, as the flags ask; the table and the medians printed."""
    threads, kernel = numpy_threads()
    print(f'threads {threads} (OpenBLAS kernel {kernel}), load {os.getloadavg()[0]:.2f}; batch {args.batch_size}, '
          f'epochs {args.epochs}, batches/epoch {args.batches or "all"}'
          + ('; a busy neighbour on one core' if args.busy_neighbour else ''))
    if args.end_to_end:
        return compare_end_to_end(args, threads)
    print('| run | side | step ms (median) | s (training) | test acc | peak RSS MiB train / +test |')
    print('|---|---|---|---|---|---|')
    results = alternate(args.runs, lambda side: run(side, args, threads),
                        lambda i, side, r: f"| {i} | {side} | {r['step_ms']:.1f} | {r['seconds']:.1f} | "
                                           f"{r['accuracy']:.4f} | {r['train_rss']:.0f} / {r['peak_rss']:.0f} |")
    mine, theirs = ([statistics.median(r[key] for r in results[s]) for s in ('project', 'torch')]
                    for key in ('step_ms', 'seconds'))
    ratios = [p['seconds'] / t['seconds'] for p, t in zip(results['project'], results['torch'])]
    print(f'median step: project {mine[0]:.1f} ms, PyTorch {mine[1]:.1f} ms, ratio {mine[0] / mine[1]:.2f}')
    per_epoch = [statistics.median(r['seconds'] / r['batches'] * 860 for r in results[s]) for s in ('project', 'torch')]
    print(f'seconds per epoch of 860 batches (from the batches run): project {per_epoch[0]:.0f} s, PyTorch '
          f'{per_epoch[1]:.0f} s')
    print(f'median training time: project {theirs[0]:.1f} s, PyTorch {theirs[1]:.1f} s, ratio '
          f'{theirs[0] / theirs[1]:.2f} (per run: {", ".join(f"{r:.2f}" for r in ratios)}); load now '
          f'{os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
