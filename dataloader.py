"""MNIST from its IDX files to batches: split, preprocess, iterate (idx.py reads, checks and downloads
the files).

Data flow: IDX bytes (raw or .gz) -> validated uint8 arrays (parsed once per process) -> `Dataset`
(a split: train = first 55,000 training rows, val = last 5,000, test = the 10,000 t10k rows) ->
`Dataloader` (one permutation per epoch, batches gathered with one vectorized take).

The images stay uint8 in memory; a batch is cast to float only when it is drawn. The course's
preprocessing is x = pixels / 255 - mean(pixels / 255) of that same image.
"""
import functools
import os

import numpy as np

from idx import (IMAGE_MAGIC, LABEL_MAGIC, MD5, MIRRORS, DataFormatError, download, find_file,  # noqa: F401
                 missing_message, parse_idx, read_idx)

SPLIT_FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
               'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}
NUM_TRAIN = 55000          # the rest of the training file is the validation split
IMAGE_SHAPE = (28, 28)


@functools.lru_cache(maxsize=4)
def _load_split_cached(image_path, label_path, keys):
    images = read_idx(image_path, IMAGE_MAGIC)
    labels = read_idx(label_path, LABEL_MAGIC)
    if images.shape[1:] != IMAGE_SHAPE:
        raise DataFormatError(f'{image_path}: images are {images.shape[1]}x{images.shape[2]}, '
                              f'expected {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]}')
    if len(images) != len(labels):
        raise DataFormatError(f'{image_path} holds {len(images)} images but {label_path} holds '
                              f'{len(labels)} labels; expected the same count')
    images = images.reshape(len(images), -1)
    images.flags.writeable = False
    return images, labels


def _split_files(data_root, split, download_missing):
    """(image path, label path, their identities): the files of a split, downloaded when missing and
    allowed. The identity (mtime, size) keys the caches, so a changed file is read again."""
    stems = SPLIT_FILES[split]
    paths = [find_file(data_root, stem) for stem in stems]
    if None in paths:
        if not download_missing:
            raise FileNotFoundError(missing_message(data_root, stems))
        download(data_root, [s for s, p in zip(stems, paths) if p is None])
        paths = [find_file(data_root, stem) for stem in stems]
    keys = tuple((os.stat(p).st_mtime_ns, os.stat(p).st_size) for p in paths)
    return os.path.abspath(paths[0]), os.path.abspath(paths[1]), keys


def missing_files(data_root):
    """The MNIST files (stems, train then t10k) that data_root lacks in every naming style."""
    return [stem for stems in SPLIT_FILES.values() for stem in stems if find_file(data_root, stem) is None]


def load_split(data_root, split, download_missing=True, num_classes=None):
    """(images (N, 784) uint8, labels (N,) uint8) of the 'train' or 't10k' files in data_root.

    num_classes: when given, a label outside 0..num_classes-1 is a DataFormatError naming the labels file.
    """
    files = _split_files(data_root, split, download_missing)
    images, labels = _load_split_cached(*files)
    if num_classes is not None and len(labels) and labels.max() >= num_classes:
        bad = int(labels.max())
        raise DataFormatError(f'{files[1]}: label {bad} at index {int(labels.argmax())} is outside '
                              f'0..{num_classes - 1} (num_classes={num_classes})')
    return images, labels


@functools.lru_cache(maxsize=4)
def _shared_preprocessed(image_path, label_path, keys, dtype_name):
    """`preprocess` of a whole IDX file, made once per (files, dtype) in a process and read-only.

    Every Dataset and load_mnist() of the same files and dtype share it: a notebook of 15 networks
    holds one 188 MB float32 copy of the training file instead of one per Solver.
    """
    images, _ = _load_split_cached(image_path, label_path, keys)
    shared = preprocess(images, dtype_name)
    shared.flags.writeable = False
    return shared


def preprocess(images, dtype=np.float32):
    """The course's preprocessing of uint8 images (N, 784): x = pixels / 255 - mean(pixels / 255) of
    each image, as `dtype` (N, 784)."""
    dtype = np.dtype(dtype)
    means = images.sum(axis=1, dtype=np.int64) / (255.0 * images.shape[1])
    out = np.multiply(images, dtype.type(1 / 255), dtype=dtype)
    out -= means.astype(dtype)[:, None]
    return out


def load_mnist(data_root='data', num_classes=10, dtype=np.float32, flatten=True):
    """(data_train, data_test): the course's case-2 data, without TensorFlow.

    Replaces the course notebook's TensorFlow cells (load_data, decode_image, decode_label,
    tf.data.Dataset): each is an ArrayDataset of all 60,000 training (or 10,000 test) images,
    x (N, 784) `dtype` preprocessed as the course's decode does (pixels / 255 minus the image's own
    mean; read-only, one copy per process shared with every `Dataset` of the same files and dtype),
    and one-hot targets t (N, num_classes) of the same dtype. `solver.train` takes the first,
    `solver.test` the second. flatten=False gives the images as (N, 1, 28, 28), as the CNN case's
    TensorFlow cells do, for a network that starts with a ConvLayer.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise ValueError(f'load_mnist(num_classes={num_classes!r}): expected an integer >= 2 (MNIST has 10)')
    datasets = []
    for split, mode in (('train', 'train'), ('test', 'test')):
        _, labels = load_split(data_root, split, num_classes=num_classes)
        inputs = _shared_preprocessed(*_split_files(data_root, split, True), np.dtype(dtype).name)
        inputs = inputs if flatten else inputs.reshape(-1, 1, *IMAGE_SHAPE)
        datasets.append(ArrayDataset(inputs, np.eye(num_classes, dtype=dtype)[labels], mode=mode))
    return tuple(datasets)


# ---------------------------------------------------------------- Dataset and Dataloader

class Dataset:
    """One split of MNIST (or any dataset in its IDX format and shape).

    mode: 'train' (first 55,000 training rows), 'val' (last 5,000) or 'test' (10,000 t10k rows).
    `images` (N, 784) uint8 and `labels` (N,) int64 hold the raw data; `ds[i]` gives the
    preprocessed (image (784,) float32, label) pair, `ds.batch(indices)` a whole batch.
    """

    def __init__(self, data_root, mode='train', num_classes=10, download_missing=True):
        if mode not in ('train', 'val', 'test'):
            raise ValueError(f"Dataset mode {mode!r}: expected 'train', 'val' or 'test'")
        split = 'test' if mode == 'test' else 'train'
        images, labels = load_split(data_root, split, download_missing, num_classes)
        self._rows = {'train': slice(0, NUM_TRAIN), 'val': slice(NUM_TRAIN, None), 'test': slice(None)}[mode]
        self._files = _split_files(data_root, split, download_missing)
        self.mode, self.num_classes = mode, num_classes
        self.images, self.labels = images[self._rows], labels[self._rows].astype(np.int64)
        if len(self.images) == 0:
            raise DataFormatError(f'{self._files[0]}: the {mode!r} split is empty')
        self._preprocessed = {}

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        images, labels = self.batch(np.array([index]))
        return images[0], int(labels[0])

    def batch(self, indices, dtype=np.float32, out=None):
        """(images (B, 784) dtype, labels (B,)) for an index array: rows of `preprocessed(dtype)`,
        gathered with no Python loop. `out` (B, 784) is filled when given."""
        images = self.preprocessed(dtype)
        if out is None:
            return images[indices], self.labels[indices]
        np.take(images, indices, axis=0, out=out)
        return out, self.labels[indices]

    def preprocessed(self, dtype=np.float32):
        """All images as x = pixels / 255 - mean(pixels / 255), (N, 784) dtype, read-only.

        A view of the file's one preprocessed copy in this process (`_shared_preprocessed`: the
        training file in float32 is 188 MB beside its 47 MB of uint8 pixels), shared by every
        Dataset and load_mnist() of the same files and dtype. Gathering batches from it, a
        softmax-regression step measured 257 / 928 us at batch 100 / 512, against 290-451 /
        1057-1216 us preprocessing every batch.
        """
        dtype = np.dtype(dtype)
        if dtype not in self._preprocessed:
            self._preprocessed = {dtype: _shared_preprocessed(*self._files, dtype.name)[self._rows]}
        return self._preprocessed[dtype]


class ArrayDataset:
    """Samples already in memory: inputs (N, d) (or (N, C, H, W) images) and targets (N,) labels or
    (N, k) values.

    Same interface as `Dataset`, so a `Dataloader` and the `Solver` (cfg['data']) take it too.
    """

    def __init__(self, inputs, targets, mode='train'):
        self.inputs, self.targets, self.mode = np.asarray(inputs), np.asarray(targets), mode
        if self.inputs.ndim < 2 or len(self.inputs) != len(self.targets) or len(self.inputs) == 0:
            raise ValueError(f'{mode!r} data: expected inputs (N, d) or (N, C, H, W) and N targets with N >= 1, '
                             f'got inputs {self.inputs.shape} and targets {self.targets.shape}')

    def __len__(self):
        return len(self.inputs)

    def __getitem__(self, index):
        return self.inputs[index], self.targets[index]

    def batch(self, indices, dtype=np.float32, out=None):
        """(inputs (B, d) as dtype, targets (B, ...)) for an index array."""
        if out is None:
            return self.inputs[indices].astype(dtype, copy=False), self.targets[indices]
        np.take(self.inputs, indices, axis=0, out=out)
        return out, self.targets[indices]


def as_dataset(data, mode):
    """A dataset as it is (anything with batch(), e.g. load_mnist's), an (X, y) pair wrapped; None stays."""
    if data is None or hasattr(data, 'batch'):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return ArrayDataset(*data, mode=mode)
    raise ValueError(f'{mode!r} data of type {type(data).__name__}: expected a dataset from '
                     f'dataloader.load_mnist() or an (inputs (N, d), targets) pair')


class Dataloader:
    """Iterating gives one epoch of (images (B, 784), labels (B,)) batches.

    Every sample appears exactly once per epoch; the last batch is smaller when batch_size
    does not divide N. With shuffle, each epoch draws a new permutation from `rng`.
    """

    def __init__(self, dataset, batch_size, shuffle=False, max_epoch=1, rng=None, dtype=np.float32):
        if not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= len(dataset):
            raise ValueError(f'batch_size {batch_size!r}: expected an integer from 1 to '
                             f'{len(dataset)} (the size of the {dataset.mode!r} split)')
        self.dataset, self.batch_size, self.shuffle = dataset, int(batch_size), shuffle
        self.max_epoch, self.dtype = max_epoch, np.dtype(dtype)
        self.rng = np.random.default_rng(rng)

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            yield self.dataset.batch(order[start:start + self.batch_size], self.dtype)


def build_dataloader(data_root, max_epoch, batch_size, shuffle=False, mode='train',
                     num_classes=10, seed=None, dtype=np.float32):
    """The course's entry point: a `Dataloader` over `Dataset(data_root, mode)`."""
    dataset = Dataset(data_root, mode, num_classes)
    return Dataloader(dataset, batch_size, shuffle, max_epoch, seed, dtype)
