"""IDX reading (on files the tests write), downloads with a fake transport, splits and batches."""
import gzip
import hashlib
import io
import os
import struct
import urllib.error
import urllib.request

import numpy as np
import pytest

import dataloader
import idx
from dataloader import (DataFormatError, Dataloader, Dataset, build_dataloader, download,
                        find_file, load_split, read_idx)

DATA = os.path.join(os.path.dirname(__file__), '..', 'data')


def idx_bytes(array, magic=None):
    """The IDX encoding of a uint8 array: magic, big-endian dimensions, payload."""
    magic = magic if magic is not None else 0x0800 | array.ndim
    return struct.pack('>i', magic) + struct.pack(f'>{array.ndim}I', *array.shape) + array.tobytes()


def write(path, content, gz=False):
    with open(path, 'wb') as f:
        f.write(gzip.compress(content) if gz else content)
    return str(path)


def fake_mnist(folder, n=12, num_classes=10, gz=True, dotted=False, seed=0):
    """Write train and t10k files of n random 28x28 images in folder; returns (images, labels)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, num_classes, n, dtype=np.uint8)
    for split in ('train', 't10k'):
        for kind, array in (('images-idx3', images), ('labels-idx1', labels)):
            name = f'{split}-{kind}.ubyte' if dotted else f'{split}-{kind}-ubyte'
            write(os.path.join(folder, name + ('.gz' if gz else '')), idx_bytes(array), gz)
    return images, labels


@pytest.mark.parametrize('gz', [False, True])
@pytest.mark.parametrize('dotted', [False, True])
def test_reads_raw_and_gz_in_both_naming_styles(tmp_path, gz, dotted):
    images, labels = fake_mnist(tmp_path, gz=gz, dotted=dotted)
    got_images, got_labels = load_split(str(tmp_path), 'test', download_missing=False)
    assert np.array_equal(got_images, images.reshape(len(images), -1))
    assert np.array_equal(got_labels, labels)


def test_file_is_parsed_once_per_process(tmp_path, monkeypatch):
    fake_mnist(tmp_path)
    calls = []
    original = idx.parse_idx
    monkeypatch.setattr(idx, 'parse_idx', lambda *a: calls.append(a[2]) or original(*a))
    idx._read_idx_cached.cache_clear()
    for _ in range(3):
        load_split(str(tmp_path), 'test', download_missing=False)
        read_idx(find_file(str(tmp_path), 't10k-images-idx3-ubyte'), dataloader.IMAGE_MAGIC)
    assert len(calls) == 2   # one image file, one label file


def header(magic, *dims):
    return struct.pack('>i', magic) + struct.pack(f'>{len(dims)}I', *dims)


CORRUPT = {   # name: (file content, words the message must contain)
    'empty': (b'', 'empty'),
    'short header': (b'\x00\x00', 'truncated header'),
    'short dims': (struct.pack('>i', 2051) + b'\x00\x00\x00\x05', 'truncated header'),
    'wrong magic': (header(2049, 2) + b'\x00\x01', 'wrong magic number 2049, expected 2051'),
    'wrong ndim': (header(2050, 2, 784) + bytes(2 * 784), '2 dimensions, expected 3'),
    'truncated payload': (header(2051, 2, 28, 28) + bytes(100), 'truncated payload'),
    'over-long payload': (header(2051, 2, 28, 28) + bytes(2 * 784 + 5), 'over-long payload'),
    'billions claimed': (header(2051, 4_000_000_000, 28, 28) + bytes(10), 'truncated payload'),
    'not 28x28': (header(2051, 2, 32, 32) + bytes(2 * 32 * 32), 'expected 28x28'),
}


@pytest.mark.parametrize('case', sorted(CORRUPT))
def test_malformed_image_files_raise_data_format_error(tmp_path, case):
    fake_mnist(tmp_path, n=2, gz=False)
    content, words = CORRUPT[case]
    path = write(tmp_path / 't10k-images-idx3-ubyte', content)
    with pytest.raises(DataFormatError, match=words) as info:
        load_split(str(tmp_path), 'test', download_missing=False)
    assert str(info.value).startswith(str(path) + ':')
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize('content, words', [
    (b'<!DOCTYPE html><html>Service unavailable</html>', 'expected a gzip file'),
    (b'', 'expected a gzip file'),
    (gzip.compress(bytes(range(256)) * 8)[:-20], 'corrupt or truncated gzip'),
    (b'\x1f\x8b' + b'garbage' * 10, 'corrupt or truncated gzip'),
])
def test_bad_gzip_files_raise_data_format_error(tmp_path, content, words):
    fake_mnist(tmp_path, n=2)
    path = write(tmp_path / 't10k-labels-idx1-ubyte.gz', content)
    with pytest.raises(DataFormatError, match=words) as info:
        load_split(str(tmp_path), 'test', download_missing=False)
    assert str(info.value).startswith(str(path) + ':')


def test_image_and_label_counts_must_agree(tmp_path):
    fake_mnist(tmp_path, n=5, gz=False)
    write(tmp_path / 't10k-labels-idx1-ubyte', idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(DataFormatError, match='5 images but .* 4 labels') as info:
        load_split(str(tmp_path), 'test', download_missing=False)
    assert all(str(tmp_path / name) in str(info.value) for name in ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'))


def test_labels_outside_num_classes_are_named(tmp_path):
    fake_mnist(tmp_path, n=5, num_classes=10)
    write(tmp_path / 't10k-labels-idx1-ubyte.gz', idx_bytes(np.array([0, 1, 2, 3, 12], np.uint8)), gz=True)
    os.remove(tmp_path / 'train-labels-idx1-ubyte.gz')
    write(tmp_path / 'train-labels-idx1-ubyte.gz', idx_bytes(np.array([0, 1, 2, 3, 4], np.uint8)), gz=True)
    with pytest.raises(DataFormatError, match='label 12 .* outside 0..9') as info:
        Dataset(str(tmp_path), 'test')
    assert str(info.value).startswith(str(tmp_path / 't10k-labels-idx1-ubyte.gz') + ':')


# ---------------------------------------------------------------- download (no network)

class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def fake_urlopen(routes, log):
    """urlopen stand-in: routes maps URL -> bytes or an exception to raise."""
    def urlopen(url, timeout=None):
        log.append(url)
        result = routes.get(url, urllib.error.URLError('no network'))
        if isinstance(result, BaseException):
            raise result
        return FakeResponse(result)
    return urlopen


def test_download_tries_next_mirror_after_checksum_mismatch(tmp_path, monkeypatch):
    good = gzip.compress(idx_bytes(np.arange(3, dtype=np.uint8)))
    monkeypatch.setitem(dataloader.MD5, 't10k-labels-idx1-ubyte.gz', hashlib.md5(good).hexdigest())
    log = []
    routes = {'http://a/t10k-labels-idx1-ubyte.gz': b'<html>blocked</html>',
              'http://b/t10k-labels-idx1-ubyte.gz': good}
    download(str(tmp_path), ['t10k-labels-idx1-ubyte'], ('http://a/', 'http://b/'), fake_urlopen(routes, log))
    assert log == list(routes)
    assert (tmp_path / 't10k-labels-idx1-ubyte.gz').read_bytes() == good
    assert os.listdir(tmp_path) == ['t10k-labels-idx1-ubyte.gz']   # no temporary file left


def test_download_failure_names_files_and_leaves_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match='train-images-idx3-ubyte.gz.*no network'):
        download(str(tmp_path), ['train-images-idx3-ubyte'], ('http://a/', 'http://b/'), fake_urlopen({}, []))
    assert os.listdir(tmp_path) == []


def test_interrupted_download_leaves_no_partial_file(tmp_path):
    class Interrupting(FakeResponse):
        def read(self, size=-1):
            if self.tell() > 0:
                raise KeyboardInterrupt
            return super().read(10)
    with pytest.raises(KeyboardInterrupt):
        download(str(tmp_path), ['t10k-labels-idx1-ubyte'], ('http://a/',),
                 lambda url, timeout=None: Interrupting(b'x' * 100))
    assert os.listdir(tmp_path) == []


def test_missing_files_without_network_fail_fast_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, 'urlopen', fake_urlopen({}, []))
    with pytest.raises(FileNotFoundError, match='MNIST files missing .* t10k-images-idx3-ubyte.gz'):
        Dataset(str(tmp_path), 'test')


# ---------------------------------------------------------------- splits and batches on real MNIST

def test_splits_have_the_course_sizes_and_preprocessing():
    train, val, test = (Dataset(DATA, mode) for mode in ('train', 'val', 'test'))
    assert (len(train), len(val), len(test)) == (55000, 5000, 10000)
    image, label = val[0]
    raw = val.images[0] / 255.0
    assert image.shape == (784,) and image.dtype == np.float32
    assert np.allclose(image, raw - raw.mean(), atol=1e-6)
    assert label == val.labels[0] and 0 <= label <= 9
    assert np.bincount(test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.parametrize('batch_size', [1000, 128, 7, 5000])
def test_every_sample_once_per_epoch(batch_size):
    loader = build_dataloader(DATA, 2, batch_size, shuffle=True, mode='val', seed=1)
    assert len(loader) == -(-5000 // batch_size)
    orders = []
    for _ in range(2):
        seen = [images for images, _ in loader]
        assert len(seen) == len(loader)
        stacked = np.concatenate(seen)
        assert stacked.shape == (5000, 784)
        # identify samples by their pixel sums: the epoch is a permutation of the split
        expected = np.sort(loader.dataset.batch(np.arange(5000))[0].sum(axis=1))
        assert np.allclose(np.sort(stacked.sum(axis=1)), expected)
        orders.append(stacked.sum(axis=1))
    assert not np.allclose(orders[0], orders[1])   # reshuffled between epochs


def test_unshuffled_batches_are_in_order_and_independent_arrays():
    loader = build_dataloader(DATA, 1, 2000, mode='val')
    batches = list(loader)
    labels = np.concatenate([labels for _, labels in batches])
    assert np.array_equal(labels, loader.dataset.labels)
    assert not np.shares_memory(batches[0][0], batches[1][0])


def test_batch_size_must_fit_the_split():
    dataset = Dataset(DATA, 'val')
    for bad in (0, 5001, 2.5):
        with pytest.raises(ValueError, match='batch_size'):
            Dataloader(dataset, bad)


@pytest.mark.parametrize('num_classes', ['10', 0, True, 2.0])
def test_load_mnist_says_what_num_classes_must_be(num_classes):
    with pytest.raises(ValueError, match=r'load_mnist\(num_classes=.*an integer >= 2'):
        dataloader.load_mnist('no-such-folder', num_classes=num_classes)


def test_loaders_of_the_same_files_and_dtype_share_one_read_only_copy(course_data):
    """Fifteen Solvers in a notebook must not hold fifteen 188 MB copies of the preprocessed images."""
    first, again, val = Dataset(DATA, 'train'), Dataset(DATA, 'train'), Dataset(DATA, 'val')
    images = first.preprocessed(np.float32)
    assert np.shares_memory(images, again.preprocessed(np.float32))
    assert images.base is val.preprocessed(np.float32).base   # train and val: rows of one copy of the file
    assert np.shares_memory(images, course_data[0].inputs)    # load_mnist's too
    assert not images.flags.writeable and not course_data[0].inputs.flags.writeable
    assert not np.shares_memory(images, again.preprocessed(np.float64))
    assert np.array_equal(images, dataloader.preprocess(first.images, np.float32))
