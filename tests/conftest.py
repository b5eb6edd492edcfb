"""Fixtures shared by the tests."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.join(os.path.dirname(__file__), '..')


@pytest.fixture(scope='session')
def course_data():
    """(data_train, data_test) from dataloader.load_mnist() on the shipped MNIST, loaded once."""
    from dataloader import load_mnist
    return load_mnist(os.path.join(ROOT, 'data'))


@pytest.fixture
def tiny_data():
    """A 3-class problem in memory, the Solver's cfg['data']: 40 training and 20 validation
    samples of 20 features, drawn from a fixed seed (so printed numbers are reproducible)."""
    rng = np.random.default_rng(0)
    inputs, labels = rng.standard_normal((60, 20)), rng.integers(0, 3, 60)
    return {'train': (inputs[:40], labels[:40]), 'val': (inputs[40:], labels[40:])}


@pytest.fixture
def rng(request):
    """A fresh generator for each test, from seed 0 (the grader's --grade-seed while it grades)."""
    return np.random.default_rng(request.config.getoption('grade_seed', 0))


@pytest.fixture
def blobs():
    """{'train', 'val', 'test'}: (X (N, 20) float64, labels (N,)) of 3 Gaussian clusters, for the
    Solver's cfg['data']: small enough that a run takes a fraction of a second."""
    generator = np.random.default_rng(1)
    centers = generator.standard_normal((3, 20)) * 2

    def split(n):
        labels = generator.integers(0, 3, n)
        return centers[labels] + generator.standard_normal((n, 20)), labels
    return {'train': split(600), 'val': split(200), 'test': split(200)}


@pytest.fixture(scope='session')
def make_venv():
    """A function making a real virtual environment at `path` (`python -m venv`, its symlinks
    included) as a student's set-up leaves it: pip left out, but `installed` small files in
    site-packages, for the thousands that numpy, matplotlib and jupyter bring."""
    def make(path, installed):
        subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(path)], check=True, timeout=120)
        package = next(pathlib.Path(path).glob('lib/python*/site-packages')) / 'installed_package'
        package.mkdir()
        for i in range(installed):
            (package / f'module{i}.py').write_text('x = 1\n')
        return path
    return make


@pytest.fixture(scope='session')
def quick(tmp_path_factory):
    """(stdout, results.json, folder) of one `python -m report --quick` run, shared by the report's tests."""
    out = tmp_path_factory.mktemp('report')
    done = subprocess.run([sys.executable, '-m', 'report', '--quick', '--out', str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with open(out / 'results.json') as f:
        return done.stdout, json.load(f), out
