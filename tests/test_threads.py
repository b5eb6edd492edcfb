"""threads.py: the cores other processes left free are read right from /proc, BLAS's threads are fitted to
them and put back, and importing the library starts no thread and sets nothing."""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import threads

ROOT = os.path.join(os.path.dirname(__file__), '..')


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
    monkeypatch.setattr(threads, 'open', lambda path, **kw: (_ for _ in ()).throw(OSError(path)), raising=False)
    monkeypatch.setitem(threads._load, 'at', None)
    assert threads._free_cores() == 2                # no /proc (another system, a sandbox): all


@pytest.fixture
def openblas():
    control = threads._openblas()
    if control is None or control[1]() < 2:
        pytest.skip('needs numpy on OpenBLAS with two threads or more')
    return control


@pytest.mark.parametrize('free, inside', [(1, 1), (0, 1), (64, 'as before')])
def test_blas_threads_are_fitted_to_the_free_cores_and_put_back(free, inside, openblas, monkeypatch):
    before = openblas[1]()
    monkeypatch.setattr(threads, '_free_cores', lambda: free)
    with pytest.raises(KeyError):
        with threads.blas_fitted():
            assert openblas[1]() == (before if inside == 'as before' else inside)
            raise KeyError('an error inside')
    assert openblas[1]() == before


def test_networks_forward_and_backward_run_with_blas_fitted_when_asked(openblas, monkeypatch):
    from layers import FCLayer, ReLULayer
    from network import Network
    seen = []

    class Spy(ReLULayer):
        def forward(self, Input):
            seen.append(openblas[1]())
            return super().forward(Input)

        def backward(self, delta):
            seen.append(openblas[1]())
            return super().backward(delta)
    monkeypatch.setattr(threads, '_free_cores', lambda: 1)
    net = Network([FCLayer(4, 3, rng=0), Spy(), FCLayer(3, 2, rng=1)])
    net.backward(net.forward(np.ones((5, 4), np.float32)))
    assert seen == [openblas[1]()] * 2 and seen[0] >= 2   # off by default: the same bits whatever the load
    net.fit_threads = True
    net.backward(net.forward(np.ones((5, 4), np.float32)))
    assert seen[2:] == [1, 1] and openblas[1]() >= 2


def test_importing_the_library_starts_no_thread_and_sets_nothing():
    code = ('import os, threading, json; before = dict(os.environ)\n'
            'import solver, network, layers, conv, pooling, optimizer, threads\n'
            'print(json.dumps([threading.active_count(), dict(os.environ) == before, "control" in threads._blas]))')
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [1, True, False]


def test_a_network_with_fit_threads_off_leaves_blas_alone(openblas, monkeypatch):
    from layers import FCLayer
    from network import Network
    seen = []
    monkeypatch.setattr(threads, '_free_cores', lambda: 1)
    net = Network([FCLayer(4, 3, rng=0)])
    assert net.fit_threads is False
    monkeypatch.setattr(FCLayer, 'gradients', lambda self, delta: seen.append(openblas[1]()))
    net.forward(np.ones((5, 4), np.float32))
    net.backward(np.ones((5, 3), np.float32), input_grad=False)
    assert seen == [openblas[1]()] and seen[0] >= 2
