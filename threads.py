"""The cores this process may use now, numpy's BLAS threads, and the threads that run the parts of a batch at once.

Two BLAS threads that must meet after every matrix product wait for each other when another program holds a
core: a training run was 4-6x slower (docs/results.md, "BLAS threads on busy cores"). On Linux this room counts
the CPU time the other processes used over the last second (/proc/stat less this process's own,
/proc/self/stat). `blas_fitted()` lowers the threads of numpy's OpenBLAS to the cores they left free for the
calls inside it, and puts the number back after (ctypes, on the library numpy loaded; any other BLAS, and
other systems, are left alone).

`run_parts` is the other way to use two cores, the one a ConvNet gains from (parallel.py): the parts of a batch
each on a thread of their own, every numpy call inside on one BLAS thread (`one_blas_thread`). numpy releases
the GIL in its ufuncs, copies, FFTs and products, so the parts run at once, and each part's numbers are the same
whichever thread computes it and however many run at once. A pool of threads for single element-wise passes
(half of a ReLU here, half there) was measured and not kept: after a GEMM OpenBLAS's idle threads keep spinning
on the other cores for a while, and a half handed to a second thread waited for them (bench/threads_passes.py).
Importing this module starts nothing and changes nothing.
"""
import contextlib
import ctypes
import os
import threading
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
    with _blas_threads_at(lambda before: min(before, _free_cores())):
        yield


@contextlib.contextmanager
def one_blas_thread():
    """Within it numpy's OpenBLAS computes each product on the calling thread alone (put back on leaving)."""
    with _blas_threads_at(lambda before: 1):
        yield


@contextlib.contextmanager
def _blas_threads_at(wanted):
    """Within it OpenBLAS runs max(1, wanted(threads before)) threads, and the number before after it; without
    OpenBLAS, nothing."""
    control = _openblas()
    before = control[1]() if control else 1
    number = max(1, wanted(before))
    if not control or number == before:
        yield
        return
    control[0](number)
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


def blas_threads():
    """The number of threads numpy's OpenBLAS runs now (its own count: OPENBLAS_NUM_THREADS and friends, else the
    cores), or None when there is no OpenBLAS to read and set (another BLAS, another system)."""
    control = _openblas()
    return max(1, control[1]()) if control else None


def run_parts(task, count):
    """[task(0), ..., task(count − 1)], run at once on up to min(count, cores) threads: part k on thread
    k mod threads, thread 0 the caller's, the others started for this call (a thread that cannot start leaves its
    parts to the caller). Every part has ended when this returns or raises, a Ctrl-C included; an error raises
    the error of the first part that failed. Not fitted to the free cores: with one core taken by a spinning
    process a ConvNet's step took 30.8 ms with its parts at once against 29.1 in turn, about even, where two BLAS
    threads took 47.9 (bench/parts_rule.py --busy-neighbour); the parts in turn would trade those 6% for a rule
    that guesses the load."""
    workers, results = max(1, min(count, os.cpu_count() or 1)), {}

    def share(first):
        for k in range(first, count, workers):
            try:
                results[k] = (task(k), None)
            except Exception as error:   # noqa: BLE001 (raised below, after every part has ended)
                results[k] = (None, error)
    started = []
    for first in range(1, workers):
        thread = threading.Thread(target=share, args=(first,), name=f'batch-part-{first}', daemon=True)
        try:
            thread.start()
            started.append(thread)
        except RuntimeError:   # no thread to be had (a process limit)
            share(first)
    try:
        share(0)
    finally:
        _join(started)
    errors = [results[k][1] for k in range(count) if results[k][1] is not None]
    if errors:
        raise errors[0]
    return [results[k][0] for k in range(count)]


def _join(started):
    """Wait for every thread in `started`; a Ctrl-C meanwhile is raised once they have all ended."""
    interrupted = None
    for thread in started:
        while thread.is_alive():
            try:
                thread.join()
            except KeyboardInterrupt as interrupt:
                interrupted = interrupt
    if interrupted:
        raise interrupted
