"""The cores this process may use now, and numpy's BLAS threads fitted to them while other processes hold some.

Two BLAS threads that must meet after every matrix product wait for each other when another program holds a
core: a training run was 4-6x slower (docs/results.md, "BLAS threads on busy cores"). On Linux this room counts
the CPU time the other processes used over the last second (/proc/stat less this process's own,
/proc/self/stat) and `blas_fitted()`, which Network's forward and backward run in, lowers the threads of
numpy's OpenBLAS to the cores they left free for the calls inside it, and puts the number back after (ctypes,
on the library numpy loaded; any other BLAS, and other systems, are left alone).

A pool of threads for the element-wise passes (numpy releases the GIL in ufuncs and copies), sized like
BLAS's (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, ..., else the cores), was measured and is not kept: after a
GEMM OpenBLAS's idle threads keep spinning on the other cores for a while, and a part of a pass handed to a
second thread waited for them: every pass of a training step was slower split than inline
(bench/threads_passes.py; docs/results.md, "Both cores for the element-wise passes, and a busy neighbour").
Without a GEMM before, or after a one-thread GEMM, the largest passes (1.2-10 M values) took 0.66-0.82x inline
(load 2-3), but with one BLAS thread the GEMMs, most of a step, take twice as long. Importing this module
starts nothing and changes nothing; the library looks OpenBLAS up on the first forward pass.
"""
import contextlib
import ctypes
import os
import time

SAMPLE_SECONDS = 1.0     # how often the CPU time of other processes is read again

_load = {'at': None, 'system': None, 'own': None, 'free': None}
_blas = {}   # 'control': (set, get) of numpy's OpenBLAS threads, or None; looked up on first use


def _free_cores():
    """Cores of the machine not used by other processes over the last SAMPLE_SECONDS (Linux), else all."""
    now = time.monotonic()
    if _load['at'] is not None and now - _load['at'] < SAMPLE_SECONDS:
        return _load['free']
    try:
        with open('/proc/stat', encoding='ascii') as file:
            ticks = [int(v) for v in file.readline().split()[1:]]
        with open('/proc/self/stat', encoding='ascii') as file:
            own = sum(int(v) for v in file.read().rsplit(')', 1)[1].split()[11:13])   # utime + stime
    except (OSError, ValueError, IndexError):
        _load.update(at=now, free=os.cpu_count() or 1)
        return _load['free']
    busy, total = sum(ticks) - ticks[3] - ticks[4], sum(ticks)   # all but idle and iowait
    cores = os.cpu_count() or 1
    if _load['system'] is not None and total > _load['system'][1]:
        others = (busy - _load['system'][0] - (own - _load['own'])) / (total - _load['system'][1]) * cores
        _load['free'] = cores - round(max(others, 0.0))
    elif _load['free'] is None:
        _load['free'] = cores
    _load.update(at=now, system=(busy, total), own=own)
    return _load['free']


@contextlib.contextmanager
def blas_fitted(active=True):
    """Within it numpy's OpenBLAS uses at most the cores other processes left free (`_free_cores`), at least
    one; its number of threads is put back on leaving. Without OpenBLAS (or off Linux, or not `active`) it
    does nothing. One number for the whole process: a thread that calls BLAS meanwhile gets it too.
    OpenBLAS's products differ in the last bits with the number of threads, so a run fitted to a changing
    load is not bit for bit the run of a quiet machine (the same seed gave test accuracies 0.9677-0.9681)."""
    if not active:
        yield
        return
    control = _openblas()
    before = control[1]() if control else 1
    wanted = max(1, min(before, _free_cores()))
    if wanted == before:
        yield
        return
    control[0](wanted)
    try:
        yield
    finally:
        control[0](before)


def _openblas():
    """(set_num_threads, get_num_threads) of the OpenBLAS loaded in this process, by ctypes, or None."""
    if 'control' not in _blas:
        _blas['control'] = None
        try:
            with open('/proc/self/maps', encoding='utf-8', errors='replace') as file:
                paths = sorted({line.split()[-1] for line in file if 'openblas' in line.rsplit('/', 1)[-1].lower()})
        except OSError:
            paths = []
        for path, (prefix, suffix) in ((p, n) for p in paths for n in (('scipy_openblas', '64_'), ('openblas', '64_'),
                                                                       ('scipy_openblas', ''), ('openblas', ''))):
            try:
                lib = ctypes.CDLL(path)
                set_, get = (getattr(lib, f'{prefix}_{verb}_num_threads{suffix}') for verb in ('set', 'get'))
            except (OSError, AttributeError):
                continue
            _blas['control'] = (set_, get)
            break
    return _blas['control']
