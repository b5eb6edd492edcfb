"""Teacher-only tests, run by teacher/grade.py (never in a student release): fixtures and helpers shared by them."""
import os
import sys

import numpy as np
import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'tests'))   # gradcheck.py, shared with the student tests


@pytest.fixture(scope='session')
def mnist_subset():
    """(train x (3000, 784), labels), (test x (1000, 784), labels): float64, the course's preprocessing."""
    from dataloader import load_split, preprocess
    pick, subsets = np.random.default_rng(0), []
    for split, size, count in (('train', 55000, 3000), ('test', 10000, 1000)):
        images, labels = load_split(os.path.join(ROOT, 'data'), split)
        rows = pick.choice(size, count, replace=False)
        subsets.append((preprocess(images[rows], np.float64), labels[rows].astype(np.int64)))
    return tuple(subsets)


@pytest.fixture
def rng(request):
    """As tests/conftest.py's: seed 0, or the grader's --grade-seed while it grades."""
    return np.random.default_rng(request.config.getoption('grade_seed', 0))
