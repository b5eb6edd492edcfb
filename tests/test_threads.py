"""threads.py: the pool's size follows BLAS's setting, a split pass covers the batch once and gives the inline
result bit for bit, small passes and busy machines run inline, BLAS's threads come back, and importing the
library starts no thread and sets nothing."""
import contextlib
import io
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import threads
from conv import ConvLayer
from layers import FCLayer
from network import Network
from optimizer import SGD, Adam
from pooling import MaxPoolingLayer

ROOT = os.path.join(os.path.dirname(__file__), '..')


@pytest.fixture
def two_workers(monkeypatch):
    """Every pass split in two, whatever the machine's cores and load."""
    monkeypatch.setattr(threads, 'setting', lambda: 2)
    monkeypatch.setattr(threads, '_free_cores', lambda: 2)
    monkeypatch.setattr(threads, 'MIN_ELEMENTS', 0)


@pytest.mark.parametrize('env, expected', [({'OPENBLAS_NUM_THREADS': '1'}, 1), ({'OMP_NUM_THREADS': '1'}, 1),
                                           ({'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '9'}, 1),
                                           ({'MKL_NUM_THREADS': 'x'}, 'cores'), ({}, 'cores'),
                                           ({'OMP_NUM_THREADS': '999'}, 'cores')])
def test_the_pool_is_sized_by_the_blas_setting_and_at_most_the_cores(env, expected, monkeypatch):
    for name in threads.BLAS_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert threads.setting() == (len(os.sched_getaffinity(0)) if expected == 'cores' else expected)


def test_a_split_pass_covers_the_batch_once_on_two_threads(two_workers):
    seen, names = [], set()

    def run(a, b):
        seen.append((a, b))
        names.add(threading.current_thread().name)
    threads.over_batch(run, 7, 10 ** 6)
    assert sorted(seen) == [(0, 3), (3, 7)] and len(names) == 2
    with threads.inline():
        seen.clear()
        threads.over_batch(run, 7, 10 ** 6)
    assert seen == [(0, 7)]


def test_a_small_pass_and_a_busy_machine_run_inline(monkeypatch):
    monkeypatch.setattr(threads, 'setting', lambda: 2)
    calls = []
    threads.over_batch(lambda a, b: calls.append((a, b, threading.current_thread())), 64, threads.MIN_ELEMENTS - 1)
    monkeypatch.setattr(threads, '_free_cores', lambda: 1)
    threads.over_batch(lambda a, b: calls.append((a, b, threading.current_thread())), 64, 10 ** 8)
    assert calls == [(0, 64, threading.main_thread())] * 2


def test_an_error_in_a_part_is_raised_after_every_part_ended(two_workers):
    ended = []

    def run(a, b):
        if a:
            raise ValueError(f'part {a}')
        ended.append(a)
    with pytest.raises(ValueError, match='part 2'):
        threads.over_batch(run, 4, 10 ** 6)
    assert ended == [0]


def test_split_passes_give_the_inline_results_bit_for_bit(two_workers, rng):
    x = rng.standard_normal((6, 9, 9, 5), dtype=np.float32).transpose(0, 3, 1, 2)   # channels-last, as conv hands on
    results = []
    for split in (False, True):
        with (threads.inline() if not split else contextlib.nullcontext()):
            pool, conv = MaxPoolingLayer(3, 1, stride=2), ConvLayer(5, 4, 3, 1, rng=0)
            layer = FCLayer(400, 300, rng=0)
            adam = Adam(Network([layer]), 0.01, weight_decay=0.1)
            layer.grad_W, layer.grad_b = np.cos(layer.W), np.ones_like(layer.b)
            for _ in range(3):
                adam.step()
            results.append([pool.forward(x).copy(), pool.winner.copy(), conv.patches(x).copy(), layer.W.copy()])
    for inline, split in zip(*results):
        assert np.array_equal(inline, split) and inline.dtype == split.dtype


def test_a_large_sgd_step_split_over_threads_is_the_lecture_rule(two_workers, rng):
    layer = FCLayer(300, 250, rng=0, dtype=np.float64)
    sgd = SGD(Network([layer]), 0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    w, v = layer.W.copy(), np.zeros_like(layer.W)
    for _ in range(3):
        layer.grad_W, layer.grad_b = rng.standard_normal((300, 250)), rng.standard_normal((1, 250))
        sgd.step()
        v = 0.9 * v - 0.1 * (layer.grad_W + 0.01 * w)
        w = w + 0.9 * v - 0.1 * (layer.grad_W + 0.01 * w)
    np.testing.assert_allclose(layer.W, w, rtol=1e-12, atol=1e-14)
    assert {key[1] for key in sgd._scratch} == {0, 1}   # 3 pieces in two parts (from piece 0 and 1), a scratch each


def test_the_free_cores_are_the_ones_other_processes_did_not_use(monkeypatch):
    """/proc/stat's busy ticks less this process's own, over the interval, as cores (2 here)."""
    def sample(busy, total, own):
        files = {'/proc/stat': f'cpu  {busy} 0 0 {total - busy} 0 0 0 0 0 0\n',
                 '/proc/self/stat': '1 (python3 (x)) R ' + ' '.join(['0'] * 10) + f' {own} 0 0\n'}
        monkeypatch.setattr(threads, 'open', lambda path, **kw: io.StringIO(files[path]), raising=False)
        monkeypatch.setitem(threads._load, 'at', None)
        return threads._free_cores()
    monkeypatch.setattr(threads.os, 'cpu_count', lambda: 2)
    monkeypatch.setattr(threads, '_load', {'at': None, 'system': None, 'own': None, 'free': None})
    assert sample(100, 1000, 0) == 2                 # no interval yet: all
    assert sample(100 + 150, 1200, 50) == 1          # others used 100 of 200 ticks: one core of two
    assert sample(250 + 60, 1400, 50 + 50) == 2      # others 10 of 200: both free
    assert sample(310 + 200, 1600, 100) == 0         # others all of it


def test_blas_threads_are_fitted_to_the_free_cores_and_put_back(monkeypatch):
    control = threads._openblas()
    if control is None or control[1]() < 2:
        pytest.skip('needs numpy on OpenBLAS with two threads or more')
    before = control[1]()
    monkeypatch.setattr(threads, '_free_cores', lambda: 1)
    with threads.blas_fitted():
        assert control[1]() == 1
    assert control[1]() == before


def test_importing_the_library_starts_no_thread_and_sets_nothing():
    code = ('import os, threading, json; before = dict(os.environ)\n'
            'import solver, network, layers, conv, pooling, optimizer, threads\n'
            'print(json.dumps([threading.active_count(), dict(os.environ) == before, threads._pool["executor"], '
            'threads._blas.get("control")]))')
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [1, True, None, None]


def test_a_pass_uses_no_more_threads_than_the_free_cores(monkeypatch):
    monkeypatch.setattr(threads, 'setting', lambda: 4)
    monkeypatch.setattr(threads, '_free_cores', lambda: 3)
    parts = []
    threads.over_batch(lambda a, b: parts.append((a, b)), 64, 10 ** 8)
    assert sorted(parts) == [(0, 21), (21, 42), (42, 64)]
