"""Fixtures shared by the tests: seeded generators and small in-memory data."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    """A fresh generator with a fixed seed, so every test draws the same numbers in any order."""
    return np.random.default_rng(0)


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
