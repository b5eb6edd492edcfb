"""The project against PyTorch on the course's workloads, through the project's public API.

For each model (bench/models.py: softmax regression 784-10 and the MLP 784-256-10 with ReLU, both
SGD with momentum; the MLP 784-256-BN-ReLU-Dropout(0.5)-10 with Adam) and batch size, both sides
train on the same preprocessed MNIST, from the same initial weights, in the same batch order, with
the same settings, then evaluate: every epoch ends with the validation split and the run ends with
the test split. The project's run is `Solver(cfg).train()` then `.test()`; the PyTorch run is the
loop a PyTorch user writes (nn.Linear, nn.BatchNorm1d, nn.Dropout, F.cross_entropy, torch.optim),
given the whole split as one float32 tensor. Each side runs in its own long-lived worker process
(the project's never imports torch); runs are interleaved, alternating which side goes first.
Dropout masks cannot be the same on both sides, so each bn_adam cell first runs one check epoch
with p = 0 (untimed), where both sides must compute the same losses.

    /work/venv-bench/bin/python bench/compare_pytorch.py            # 5 reps x 3 epochs x 9 cells
    /work/venv-bench/bin/python bench/compare_pytorch.py --reps 2 --epochs 1 --batch-sizes 100
    /work/venv-bench/bin/python bench/compare_pytorch.py --reps 5 --epochs 2 --batch-sizes 100 --models bn_adam
"""
import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from models import HIDDEN, MODELS, ROOT, make_solver, torch_model, torch_optimizer

sys.path.insert(0, ROOT)
EVAL_CHUNK = 2000   # the Solver's evaluation chunk, used by the PyTorch side too
CHECKED_LOSSES = 100   # the check run compares this many first batch losses


# ---------------------------------------------------------------- the project's side

def run_project(job):
    solver = make_solver(job)
    start = time.perf_counter()
    solver.train()
    _, test_acc = solver.test()
    seconds = time.perf_counter() - start
    return {'seconds': seconds, 'test_acc': test_acc, 'losses': solver.history['iteration_loss'][:CHECKED_LOSSES],
            'gemm_seconds': gemm_seconds(job) if job['model'] == 'mlp' and not job.get('check') else None}


def gemm_flops(job, n_train=55000, n_eval=(5000, 10000)):
    """FLOPs of the MLP's matrix products: per batch x W1, xᵀδ1, h W2, hᵀδ2, δ2 W2ᵀ (no dE/dx);
    per evaluated sample x W1 and h W2. Returns (training FLOPs, evaluation FLOPs) of the run."""
    d, h, k = 784, HIDDEN, 10
    train = job['epochs'] * n_train * 2 * (2 * d * h + 3 * h * k)
    evaluated = job['epochs'] * n_eval[0] + n_eval[1]
    return train, evaluated * 2 * (d * h + h * k)


def gemm_seconds(job, repeats=30):
    """Time the run's matrix products alone, float32 into preallocated outputs, at this run's
    shapes: the GEMM-bound lower bound of the run (its FLOPs at the GEMM rate measured here)."""
    rng, b, d, h, k = np.random.default_rng(0), job['batch_size'], 784, HIDDEN, 10
    a = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in
         (('x', (b, d)), ('W1', (d, h)), ('d1', (b, h)), ('W2', (h, k)), ('d2', (b, k)),
          ('X', (EVAL_CHUNK, d)), ('H', (EVAL_CHUNK, h)))}
    o = {name: np.empty(shape, np.float32) for name, shape in
         (('u1', (b, h)), ('g1', (d, h)), ('u2', (b, k)), ('g2', (h, k)), ('U1', (EVAL_CHUNK, h)),
          ('U2', (EVAL_CHUNK, k)))}
    batch = [lambda: np.matmul(a['x'], a['W1'], out=o['u1']), lambda: np.matmul(a['x'].T, a['d1'], out=o['g1']),
             lambda: np.matmul(a['d1'], a['W2'], out=o['u2']), lambda: np.matmul(a['d1'].T, a['d2'], out=o['g2']),
             lambda: np.matmul(a['d2'], a['W2'].T, out=o['u1'])]
    chunk = [lambda: np.matmul(a['X'], a['W1'], out=o['U1']), lambda: np.matmul(a['H'], a['W2'], out=o['U2'])]
    per_batch, per_chunk = (_median_time(products, repeats) for products in (batch, chunk))
    train_flops, eval_flops = gemm_flops(job)
    batch_flops, chunk_flops = 2 * b * (2 * d * h + 3 * h * k), 2 * EVAL_CHUNK * (d * h + h * k)
    return train_flops / batch_flops * per_batch + eval_flops / chunk_flops * per_chunk


def _median_time(calls, repeats):
    times = []
    for _ in range(repeats + 3):
        start = time.perf_counter()
        for call in calls:
            call()
        times.append(time.perf_counter() - start)
    return statistics.median(times[3:])


# ---------------------------------------------------------------- the PyTorch side

def run_torch(job):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(job['threads'])
    torch.manual_seed(job['seed'])   # PyTorch's dropout masks
    solver = make_solver(job)   # untimed: the same data, initial weights and batch order
    rng = copy.deepcopy(solver.train_loader.rng)
    orders = [torch.from_numpy(rng.permutation(55000)) for _ in range(job['epochs'])]
    splits = [_as_tensors(loader.dataset, job['torch_input']) for loader in
              (solver.train_loader, solver.val_loader, solver.test_loader)]
    model = torch_model(solver, job)
    optimizer = torch_optimizer(model, job)
    start = time.perf_counter()
    first_losses = None
    for order in orders:
        losses = _torch_epoch(model, optimizer, splits[0], order, job['batch_size'], F)
        first_losses = losses[:CHECKED_LOSSES] if first_losses is None else first_losses
        _torch_evaluate(model, splits[1], torch, F)
    _, test_acc = _torch_evaluate(model, splits[2], torch, F)
    return {'seconds': time.perf_counter() - start, 'test_acc': test_acc, 'losses': first_losses}


def _as_tensors(dataset, kind):
    """(fetch, labels): fetch(index) gives the float32 images x = pixels / 255 - mean of a batch.

    kind 'float32': the whole split preprocessed once, before the clock starts (PyTorch's best
    case); 'uint8': each batch gathered from the uint8 pixels and preprocessed, as the project does.
    """
    import torch
    labels = torch.from_numpy(dataset.labels)
    if kind == 'float32':
        images = torch.from_numpy(dataset.batch(np.arange(len(dataset)))[0])
        return images.__getitem__, labels
    pixels = torch.from_numpy(np.ascontiguousarray(dataset.images))
    means = torch.from_numpy(dataset.image_means.astype(np.float32))
    return (lambda index: pixels[index].float().mul_(1 / 255).sub_(means[index, None])), labels


def _torch_epoch(model, optimizer, split, order, batch_size, F):
    """One epoch; like the Solver, keeps every batch's loss and accuracy as Python floats."""
    fetch, labels = split
    losses, correct = [], 0
    model.train()
    for start in range(0, len(order), batch_size):
        index = order[start:start + batch_size]
        x, y = fetch(index), labels[index]
        logit = model(x)
        loss = F.cross_entropy(logit, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        correct += (logit.argmax(1) == y).sum().item()
    return losses


def _torch_evaluate(model, split, torch, F):
    fetch, labels = split
    total, correct = 0.0, 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(labels), EVAL_CHUNK):
            logit = model(fetch(slice(start, start + EVAL_CHUNK)))
            y = labels[start:start + EVAL_CHUNK]
            total += F.cross_entropy(logit, y, reduction='sum').item()
            correct += (logit.argmax(1) == y).sum().item()
    return total / len(labels), correct / len(labels)


# ---------------------------------------------------------------- workers and the report

def worker(side):
    """Answer one JSON job per input line with one JSON result line."""
    run = run_project if side == 'project' else run_torch
    for line in sys.stdin:
        print(json.dumps(run(json.loads(line))), flush=True)


def start_worker(side):
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), '--worker', side],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def ask(process, job):
    process.stdin.write(json.dumps(job) + '\n')
    process.stdin.flush()
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f'a benchmark worker died on {job}')
    return json.loads(line)


def blas_info():
    """numpy's BLAS as threadpoolctl sees it: (threads, 'library version, kernel, threads')."""
    from threadpoolctl import threadpool_info
    blas = [i for i in threadpool_info() if i['user_api'] == 'blas']
    text = '; '.join(f"{i['internal_api']} {i['version']} kernel {i.get('architecture')} "
                     f"{i['num_threads']} threads" for i in blas)
    return (blas[0]['num_threads'] if blas else 1), text


def measure(args, threads):
    """({(model, batch): {'project': [result, ...], 'torch': [...]}}, the check runs likewise), interleaved."""
    workers = {side: start_worker(side) for side in ('project', 'torch')}
    base = {'seed': args.seed, 'threads': threads, 'torch_input': args.torch_input}
    for process in workers.values():
        ask(process, {**base, 'model': 'mlp', 'batch_size': 512, 'epochs': 1})   # warm-up
    cells = [(m, b) for m in args.models for b in args.batch_sizes]
    checks = {cell: {side: ask(workers[side], {**base, 'model': cell[0], 'batch_size': cell[1], 'epochs': 1,
                                               'dropout': 0.0, 'check': True}) for side in workers}
              for cell in cells if cell[0] == 'bn_adam'}
    results = {cell: {'project': [], 'torch': []} for cell in cells}
    for rep in range(args.reps):
        for i, (model, batch) in enumerate(cells):
            job = {**base, 'model': model, 'batch_size': batch, 'epochs': args.epochs}
            sides = ('project', 'torch') if (rep + i) % 2 == 0 else ('torch', 'project')
            for side in sides:
                results[model, batch][side].append(ask(workers[side], job))
            p, t = (results[model, batch][s][-1]['seconds'] for s in ('project', 'torch'))
            print(f'  rep {rep + 1}/{args.reps} {model:7s} batch {batch:3d}: project {p:6.3f} s, '
                  f'PyTorch {t:6.3f} s, ratio {p / t:.2f}', flush=True)
    for process in workers.values():
        process.stdin.close()
        process.wait()
    return results, checks


def spread(values):
    return f'{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})'


def same_losses(project, torch):
    """(first-batch losses equal within relative 1e-4, the largest relative difference of the losses)."""
    p, t = np.array(project['losses']), np.array(torch['losses'])
    return abs(p[0] - t[0]) <= 1e-4 * abs(t[0]), float(np.max(np.abs(p - t) / np.abs(t)))


def report(results, checks, args):
    """Print the table of medians, min–max and ratios, the equality checks and the targets."""
    same = True
    for (model, batch), run in checks.items():
        first, largest = same_losses(run['project'], run['torch'])
        accs = run['project']['test_acc'], run['torch']['test_acc']
        same &= first and abs(accs[0] - accs[1]) <= args.acc_tolerance
        print(f'check {model} batch {batch}, dropout p = 0, 1 epoch: first-batch loss {run["project"]["losses"][0]:.6f}'
              f' / {run["torch"]["losses"][0]:.6f} ({"same" if first else "DIFFERENT"}); largest relative '
              f'difference of the first {CHECKED_LOSSES} losses {largest:.1e}; test acc {accs[0]:.4f} / {accs[1]:.4f}')
    print(f'\n| model | batch | project s, median (min–max) | PyTorch s, median (min–max) | '
          f'project / PyTorch, median (min–max) | MLP / GEMM bound | test acc project / PyTorch |')
    print('|---|---|---|---|---|---|---|')
    ratios, bound_ratios = {}, {}
    for (model, batch), runs in results.items():
        p, t = ([r['seconds'] for r in runs[s]] for s in ('project', 'torch'))
        ratios[model, batch] = statistics.median(p) / statistics.median(t)
        pair = [a / b for a, b in zip(p, t)]
        bound = '–'
        if model == 'mlp':
            gemm = statistics.median(r['gemm_seconds'] for r in runs['project'])
            bound_ratios[batch] = statistics.median(p) / gemm
            bound = f'{bound_ratios[batch]:.2f} (bound {gemm:.3f} s)'
        acc_p, acc_t = ([r['test_acc'] for r in runs[s]] for s in ('project', 'torch'))
        same &= all(abs(a - b) <= args.acc_tolerance for a, b in zip(acc_p, acc_t))
        if model != 'bn_adam':   # dropout: the masks differ, the check run above compares the losses
            same &= all(same_losses(a, b)[0] for a, b in zip(runs['project'], runs['torch']))
        print(f'| {model} | {batch} | {spread(p)} | {spread(t)} | **{ratios[model, batch]:.2f}** '
              f'({min(pair):.2f}–{max(pair):.2f}) | {bound} | '
              f'{statistics.median(acc_p):.4f} / {statistics.median(acc_t):.4f} |')
    print(f'\nSame first-batch loss (bn_adam: in its p = 0 check run) and test accuracy within '
          f'{args.acc_tolerance} on every run: {"yes" if same else "NO"}')
    targets(ratios, bound_ratios, args.epochs)
    return same


def targets(ratios, bound_ratios, epochs):
    checks = [('every cell faster than PyTorch', all(r < 1 for r in ratios.values()))]
    if ('softmax', 100) in ratios:
        checks.append(('softmax, batch 100: <= 0.30x PyTorch', ratios['softmax', 100] <= 0.30))
    if ('bn_adam', 100) in ratios:
        checks.append(('BN + dropout + Adam, batch 100: <= 1.0x PyTorch', ratios['bn_adam', 100] <= 1.0))
    if ('mlp', 100) in ratios:
        checks.append((f'MLP, batch 100, {epochs} epochs: <= 0.70x PyTorch', ratios['mlp', 100] <= 0.70))
        checks.append(('MLP, batch 100: <= 1.8x its GEMM bound', bound_ratios[100] <= 1.8))
    for text, ok in checks:
        print(f'  [{"met" if ok else "MISSED"}] {text}')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--reps', type=int, default=5, help='repetitions per cell (default 5)')
    p.add_argument('--epochs', type=int, default=3, help='epochs per run (default 3)')
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[32, 100, 512])
    p.add_argument('--models', nargs='+', choices=MODELS, default=list(MODELS))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--torch-input', choices=('float32', 'uint8'), default='float32',
                   help='PyTorch gets the split preprocessed once, untimed (float32, default), or '
                        'preprocesses each batch from the uint8 pixels like the project (uint8)')
    p.add_argument('--acc-tolerance', type=float, default=0.005,
                   help='largest test-accuracy difference counted as the same (default 0.005)')
    p.add_argument('--worker', choices=('project', 'torch'), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    threads, blas = blas_info()
    import torch
    print(f'numpy {np.__version__} ({blas}); torch {torch.__version__} with torch.set_num_threads({threads}); '
          f'{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}')
    print(f'{args.reps} reps x {args.epochs} epochs (each followed by validation) + test, per cell; '
          f'PyTorch input: {args.torch_input}')
    results, checks = measure(args, threads)
    same = report(results, checks, args)
    print(f'load average after: {os.getloadavg()[0]:.2f}')
    return 0 if same else 1


if __name__ == '__main__':
    sys.exit(main())
