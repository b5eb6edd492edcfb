"""Both cores for the element-wise passes: one small pool of threads per process, started on first use.

numpy releases the GIL inside its ufuncs and copies, so a pass over a batch cut into k contiguous parts
runs on k cores at once when k threads each take one part. The fast paths (ReLU, max pooling and its
backward, the convolution's patch copies, the optimizers' updates of large parameters) hand their passes
to `over_batch`, which runs the first part on the calling thread and the others on the pool, and returns
when all are done: the same arrays, the same arithmetic element by element, so the result is the one
the pass gives inline, bit for bit.

How many threads: the setting that sizes numpy's BLAS pool, the first of OPENBLAS_NUM_THREADS,
GOTO_NUM_THREADS, MKL_NUM_THREADS, OMP_NUM_THREADS that is set to a positive integer, else the cores this
process may run on (`os.sched_getaffinity`), never more than those cores. `OPENBLAS_NUM_THREADS=1` thus
makes every pass run inline, as the grader's sandbox does. The passes run between the GEMMs, never
during one, so the pool's threads and BLAS's never want more cores than that at the same moment.
A pass smaller than MIN_ELEMENTS runs inline: handing parts to threads costs tens of µs
(bench/threads_passes.py measures each pass with and without the pool).

Cores taken by other processes (a browser, a notebook): on Linux the pool counts the CPU time the
other processes used over the last second (/proc/stat less this process's own, /proc/self/stat) and
uses no more threads than the cores they left free (inline on a 2-core machine with one core taken): a
part waiting for a taken core would make the whole pass wait. BLAS's own threads wait the same way, inside every GEMM: `blas_fitted()` (Network's
forward and backward run in it) lowers the threads of numpy's OpenBLAS to the free cores for the calls
inside it and puts the number back after (ctypes, the library numpy loaded; any other BLAS is left alone).
Importing this module starts nothing and changes nothing: the pool is made by the first pass that needs
it (and made again in a forked child).
"""
import concurrent.futures
import contextlib
import ctypes
import os
import threading
import time

BLAS_SETTINGS = ('OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'MKL_NUM_THREADS', 'OMP_NUM_THREADS')
MIN_ELEMENTS = 1 << 18   # values a pass touches below which it runs inline (measured: see module docstring)
SAMPLE_SECONDS = 1.0     # how often the CPU time of other processes is read again

_lock = threading.Lock()
_pool = {'executor': None, 'pid': None, 'size': None}
_load = {'at': None, 'system': None, 'own': None, 'free': None}
_inline = threading.local()   # .depth > 0: every pass runs inline (see `inline`)
_blas = {}   # 'control': (set, get) of numpy's OpenBLAS threads, or None; looked up on first use


def setting():
    """Threads for the element-wise passes: the BLAS setting (see the module docstring), at most the cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)
    for name in BLAS_SETTINGS:
        value = os.environ.get(name, '').strip()
        if value.isdigit() and int(value) > 0:
            return min(int(value), cores)
    return cores


def workers():
    """Threads a pass may use now: `setting()`, at most the cores other processes left free (Linux), at least
    one; one inside `inline()`."""
    if getattr(_inline, 'depth', 0):
        return 1
    wanted = setting()
    return max(1, min(wanted, _free_cores())) if wanted > 1 else 1


@contextlib.contextmanager
def inline():
    """Within it every pass of this thread runs on the calling thread alone (benchmarks and tests compare)."""
    _inline.depth = getattr(_inline, 'depth', 0) + 1
    try:
        yield
    finally:
        _inline.depth -= 1


def over_batch(run, n, elements):
    """run(start, stop) over [0, n) in contiguous parts, one per worker, at once; returns when all are done.

    `elements`: the values the whole pass touches; below MIN_ELEMENTS, or with one worker, it is
    run(0, n) inline. An exception in any part is raised here after every part ended.
    """
    k = min(workers(), n) if elements >= MIN_ELEMENTS else 1
    if k <= 1:
        run(0, n)
        return
    bounds = [n * i // k for i in range(k + 1)]
    executor = _executor(k - 1)
    futures = [executor.submit(run, bounds[i], bounds[i + 1]) for i in range(1, k)]
    try:
        run(bounds[0], bounds[1])
    finally:
        concurrent.futures.wait(futures)
    for future in futures:
        future.result()


def _executor(size):
    """The process's pool with at least `size` threads, made on first use and after a fork."""
    with _lock:
        if _pool['executor'] is None or _pool['pid'] != os.getpid() or _pool['size'] < size:
            if _pool['executor'] is not None and _pool['pid'] == os.getpid():
                _pool['executor'].shutdown(wait=False)   # too small: its idle threads end
            _pool.update(executor=concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix='passes'),
                         pid=os.getpid(), size=size)
        return _pool['executor']


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
def blas_fitted():
    """Within it numpy's OpenBLAS uses at most the cores other processes left free (see `workers`), at least
    one; its number of threads is put back on leaving. Without OpenBLAS (or off Linux) it does nothing."""
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
