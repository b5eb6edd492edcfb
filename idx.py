"""MNIST's files: the IDX format (read and validated, parsed once per process), where the files are,
their checksums, and the download from the mirrors when they are missing.

An IDX file: a 4-byte magic (2051 images, 2049 labels: uint8 with 3 or 1 dims), one big-endian uint32
per dimension, then the uint8 payload. Every error names the file and says what was expected.
"""
import functools
import gzip
import hashlib
import os
import struct
import urllib.request
import zlib

import numpy as np

from files import write_atomic

MD5 = {'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
       'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
       't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
       't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c'}
MIRRORS = ('https://ossci-datasets.s3.amazonaws.com/mnist/',
           'https://storage.googleapis.com/cvdf-datasets/mnist/')
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049   # 0x0803: uint8, 3 dims; 0x0801: uint8, 1 dim


class DataFormatError(ValueError):
    """A data file is not the IDX file it should be; the message names the file."""


def _file_bytes(path):
    """The file's content, gunzipped when the name ends in .gz."""
    with open(path, 'rb') as f:
        raw = f.read()
    if not path.endswith('.gz'):
        return raw
    if raw[:2] != b'\x1f\x8b':
        found = 'an empty file' if not raw else f'bytes {raw[:16]!r}'
        raise DataFormatError(f"{path}: expected a gzip file (starting with 1f 8b), found {found}; "
                              "a failed download often saves an HTML page under the data file's name")
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise DataFormatError(f'{path}: corrupt or truncated gzip stream ({err})') from None


def parse_idx(content, magic, name):
    """uint8 array from the bytes of an IDX file, after checking header and payload length.

    magic: 2051 for images (N, rows, cols), 2049 for labels (N,). name: the file, for messages.
    """
    if not content:
        raise DataFormatError(f'{name}: the file is empty, expected an IDX header')
    if len(content) < 4:
        raise DataFormatError(f'{name}: truncated header, {len(content)} bytes, expected at least 4')
    found_magic, = struct.unpack('>i', content[:4])
    kind = 'images (N, 28, 28)' if magic == IMAGE_MAGIC else 'labels (N,)'
    if found_magic >> 8 == magic >> 8 and found_magic not in (IMAGE_MAGIC, LABEL_MAGIC):
        raise DataFormatError(f'{name}: {found_magic & 0xFF} dimensions, expected {magic & 0xFF} '
                              f'for {kind}')
    if found_magic != magic:
        raise DataFormatError(f'{name}: wrong magic number {found_magic}, expected {magic} '
                              f'(uint8 {kind})')
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(content) < header:
        raise DataFormatError(f'{name}: truncated header, {len(content)} bytes, '
                              f'expected {header} for {ndim} dimensions')
    dims = struct.unpack(f'>{ndim}I', content[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    found = len(content) - header
    if found != expected:
        kind = 'truncated' if found < expected else 'over-long'
        raise DataFormatError(f'{name}: {kind} payload, the header {dims} promises {expected} bytes, '
                              f'found {found}')
    return np.frombuffer(content, np.uint8, offset=header).reshape(dims)


@functools.lru_cache(maxsize=8)
def _read_idx_cached(path, magic, mtime_ns, size):
    return parse_idx(_file_bytes(path), magic, path)


def read_idx(path, magic):
    """Parse one IDX file (raw or .gz); parsed once per process unless the file changes."""
    stat = os.stat(path)
    return _read_idx_cached(os.path.abspath(path), magic, stat.st_mtime_ns, stat.st_size)


def find_file(data_root, stem):
    """Path of `stem` in data_root in either naming style, raw or .gz; None when absent.

    Both `train-images-idx3-ubyte` and `train-images.idx3-ubyte` are accepted.
    """
    dotted = stem[::-1].replace('-', '.', 1)[::-1]
    for name in (stem, stem + '.gz', dotted, dotted + '.gz'):
        path = os.path.join(data_root, name)
        if os.path.isfile(path):
            return path
    return None


# ---------------------------------------------------------------- download

def missing_message(data_root, stems, root_name='data_root'):
    """What is missing where, and what to do; root_name: how the user gave the folder (--data-root)."""
    names = ', '.join(s + '.gz' for s in stems)
    return (f'MNIST files missing in {os.path.abspath(data_root)!r}: {names}. Put the official files '
            f'there (raw or .gz; a fresh clone ships them in data/), or point {root_name} at them.')


def _fetch(url, dest_dir, name, urlopen, timeout):
    """Download url into dest_dir/name via a temporary file; verify MD5; rename into place."""
    def copy_checked(out):
        digest = hashlib.md5()
        with urlopen(url, timeout=timeout) as response:
            while chunk := response.read(1 << 16):
                digest.update(chunk)
                out.write(chunk)
        if name in MD5 and digest.hexdigest() != MD5[name]:
            raise ValueError(f'MD5 {digest.hexdigest()}, expected {MD5[name]}')
    write_atomic(os.path.join(dest_dir, name), copy_checked)


def download(data_root, stems, mirrors=MIRRORS, urlopen=None, timeout=10):
    """Fetch `<stem>.gz` for each stem into data_root, trying the mirrors in order.

    A mirror that fails (no network, HTTP error, checksum mismatch) hands over to the next one;
    nothing partial is ever left under the real name. Raises FileNotFoundError when all fail.
    """
    urlopen = urlopen or urllib.request.urlopen   # looked up now, so a test can stand in for it
    os.makedirs(data_root, exist_ok=True)
    for stem in stems:
        name = stem + '.gz'
        failures = []
        for mirror in mirrors:
            try:
                _fetch(mirror + name, data_root, name, urlopen, timeout)
                break
            except (OSError, ValueError) as err:   # URLError and socket errors are OSErrors
                failures.append(f'{mirror + name}: {err}')
        else:
            raise FileNotFoundError(missing_message(data_root, stems) + ' Download failed: '
                                    + '; '.join(failures))
