"""The earlier case 1's data (the course's 2018–2022 notebooks), without TensorFlow:

    mnist_dataset = mnist_data_loader.read_data_sets("./MNIST_data/", one_hot=True)
    images, labels = mnist_dataset.train.next_batch(100)

It keeps the interface of TensorFlow's `read_data_sets`, the one the course's notebooks call:
`.train` (the first 55,000 training images), `.validation` (the last 5,000) and `.test` (the 10,000
t10k ones), each with `num_examples`, `images` (N, 784) float32 in [0, 1] (pixels / 255, no mean
removed, unlike dataloader.preprocess), `labels` and `next_batch`. The files are read by
dataloader.load_split (idx.py's reader, parsed once per process).
"""
import os

import numpy as np

from dataloader import SPLIT_FILES, load_split
from idx import find_file

PROJECT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
NUM_CLASSES = 10


class DataSet:
    """One split: images (N, D), labels (N,) integers or (N, 10) one-hot, and next_batch.

    next_batch walks a permutation of the split, a fresh one every epoch, drawn from `rng` (a seed
    or np.random.Generator); a batch that runs past the end of an epoch takes the rest of it and the
    first samples of the next, so every batch has batch_size samples and every sample is seen once
    per epoch, as TensorFlow's DataSet does.
    """

    def __init__(self, images, labels, rng=None):
        self.images, self.labels = images, labels
        self.num_examples = len(images)
        self.epochs_completed = 0
        self._rng = np.random.default_rng(rng)
        self._order, self._at = None, 0

    def next_batch(self, batch_size, shuffle=True):
        """(images (batch_size, D), labels (batch_size, ...)): the next samples of the walk;
        shuffle=False walks the split in its order."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not (
                1 <= batch_size <= self.num_examples):
            raise ValueError(f'next_batch({batch_size!r}): expected an integer batch size from 1 to '
                             f'{self.num_examples} (the size of this split)')
        parts = []
        while batch_size:
            if self._order is None or self._at == self.num_examples:
                self._new_epoch(shuffle)
            take = min(batch_size, self.num_examples - self._at)
            parts.append(self._order[self._at:self._at + take])
            self._at, batch_size = self._at + take, batch_size - take
        rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
        return self.images[rows], self.labels[rows]

    def _new_epoch(self, shuffle):
        if self._order is not None:
            self.epochs_completed += 1
        n = self.num_examples
        self._order, self._at = (self._rng.permutation(n) if shuffle else np.arange(n)), 0


class DataSets:
    """The three splits: train, validation, test."""

    def __init__(self, train, validation, test):
        self.train, self.validation, self.test = train, validation, test


def data_folder(train_dir):
    """train_dir when it holds MNIST's four IDX files (raw or .gz), else the project's data/,
    saying so in one line: a notebook naming ./MNIST_data/ runs offline from a fresh clone."""
    stems = SPLIT_FILES['train'] + SPLIT_FILES['test']
    if all(find_file(train_dir, stem) for stem in stems):
        return train_dir
    print(f"read_data_sets: no MNIST files in {train_dir!r}; reading the project's {PROJECT_DATA}")
    return PROJECT_DATA


def read_data_sets(train_dir, one_hot=False, dtype=np.float32, validation_size=5000, seed=None):
    """DataSets of MNIST: .train (55,000), .validation (5,000), .test (10,000).

    images (N, 784) `dtype` in [0, 1]; labels (N, 10) one-hot of `dtype` with one_hot=True, else
    (N,) int64. validation_size: how many of the 60,000 training images go to .validation (the last
    ones). seed: the next_batch shuffles of the three splits (None: fresh entropy).
    """
    if isinstance(validation_size, bool) or not isinstance(validation_size, (int, np.integer)) or validation_size < 0:
        raise ValueError(f'read_data_sets(validation_size={validation_size!r}): expected an integer >= 0')
    folder = data_folder(train_dir)
    splits = []
    for split in ('train', 'test'):
        pixels, digits = load_split(folder, split, download_missing=False, num_classes=NUM_CLASSES)
        images = np.multiply(pixels, np.dtype(dtype).type(1 / 255), dtype=dtype)
        labels = np.eye(NUM_CLASSES, dtype=dtype)[digits] if one_hot else digits.astype(np.int64)
        splits.append((images, labels))
    (train_images, train_labels), test = splits
    cut = len(train_images) - validation_size
    if cut < 1:
        raise ValueError(f'read_data_sets(validation_size={validation_size}): expected fewer than the '
                         f'{len(train_images):,} training images')
    parts = ((train_images[:cut], train_labels[:cut]), (train_images[cut:], train_labels[cut:]), test)
    rngs = np.random.SeedSequence(seed).spawn(3)
    return DataSets(*(DataSet(images, labels, rng) for (images, labels), rng in zip(parts, rngs)))
