"""Fixtures shared by the test modules."""
import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), '..')


@pytest.fixture(scope='session')
def course_data():
    """(data_train, data_test) from dataloader.load_mnist() on the shipped MNIST, loaded once."""
    from dataloader import load_mnist
    return load_mnist(os.path.join(ROOT, 'data'))
