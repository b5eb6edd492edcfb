"""The entries of a hand-in, a folder or a .zip, read without trusting it (teacher/intake.py picks from them).

Each entry comes as an Item, shallowest first: a skipped folder (a virtual environment, a cache, .git,
data/) is one item and never looked into; symlinks and special files are refused, not followed; zip
members whose path is absolute or climbs out with `..`, encrypted ones and those larger once unpacked
than their kind may be are refused before a byte of them is read. Nothing is extracted to disk: a
regular file's bytes are read only through `take`, which reads at most one byte past its limit.
"""
import os
import re
import stat
import zipfile
import zlib
from collections import namedtuple

MAX_FILE_BYTES = 1_000_000      # one case file
MAX_ENTRIES = 2_000             # entries looked at in one submission, besides the skipped ones
SKIPPED = {   # folder name -> what it is: folders no student hands in (.git is a file in a git worktree)
    '.venv': 'virtual environment', 'venv': 'virtual environment', '__pycache__': 'cache',
    '.ipynb_checkpoints': 'cache', '.pytest_cache': 'cache', '.git': 'git repository',
    'data': 'data folder', '__MACOSX': 'macOS archive folder'}
SKIPPED_SUFFIX = ('.gz', 'compressed file')   # data files, such as MNIST's
VENV_MARK = 'pyvenv.cfg'     # a folder holding it is a virtual environment, whatever its name
MAX_DOCUMENT_BYTES = 50_000_000   # one notebook or PDF (a notebook's figures are PNG text inside it)
MAX_OUTPUT_BYTES = 8_000_000      # one output of a notebook cell: the grader's default --output-mb
MAX_PDFS = 5                      # PDFs taken, shallowest first; the rest are ignored
MAX_SOURCES_BYTES = 20_000_000    # the other .py files and notebooks read for the framework check, in all
DATA_FILE_BYTES = 10_000_000      # any other file larger than this is reported as a data set (never read)
DOCUMENTS = ('.ipynb', '.pdf')   # the files that may reach MAX_DOCUMENT_BYTES
MNIST_FILE = re.compile(r'^((train|t10k)-(images|labels)[.-]idx[13]-ubyte|mnist[\w.-]*\.(npz|npy|pkl|pickle|mat|csv|h5'
                        r'|hdf5))(\.gz)?$', re.IGNORECASE)   # the official files, raw or .gz, and common dumps

# One entry of a submission, shallowest first: its relative path, what it is when skipped (else ''),
# a reader of its first bytes (regular files only: read(size) -> bytes), why it is refused (else '') and
# its size in bytes (as the folder or the zip says it).
Item = namedtuple('Item', 'path skip reader why size')


def _skip_kind(name, is_dir, holds_venv=False):
    """What the entry called `name` is when no student hands it in, else ''."""
    if is_dir and holds_venv:
        return SKIPPED['.venv']
    if name in SKIPPED and (is_dir or name == '.git'):
        return SKIPPED[name]
    if is_dir:
        return ''
    if name.endswith(SKIPPED_SUFFIX[0]):
        return SKIPPED_SUFFIX[1]
    return 'MNIST file' if MNIST_FILE.match(name) else ''


def take(item, limit):
    """(bytes, '') of the item, or (None, why) when it is over `limit` bytes or unreadable (a corrupt
    zip member, an unsupported compression, a file that vanished)."""
    try:
        data = item.reader(limit + 1)
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zipfile.BadZipFile,
            zlib.error) as error:
        return None, f'could not be read: {type(error).__name__}: {error}'
    if len(data) > limit:
        return None, f'larger than {limit} bytes'
    return data, ''


def folder_items(root):
    """The Items under the folder `root`, breadth first; a skipped folder is one item, not looked
    into; symlinks are refused, not followed."""
    level = ['']
    while level:
        deeper = []
        for folder in level:
            try:
                with os.scandir(os.path.join(root, folder)) as scan:
                    found = sorted(scan, key=lambda entry: entry.name)
            except OSError as error:   # an unreadable folder costs only what it holds
                yield Item(folder or '.', '', None, f'could not be read: {error.strerror}', 0)
                continue
            for entry in found:
                rel, info = folder + entry.name, entry.stat(follow_symlinks=False)
                is_dir = stat.S_ISDIR(info.st_mode)
                skip = _skip_kind(entry.name, is_dir, is_dir and os.path.lexists(os.path.join(entry.path, VENV_MARK)))
                if skip:
                    yield Item(rel + '/' * is_dir, skip, None, '', info.st_size)
                elif is_dir:
                    deeper.append(rel + '/')
                elif stat.S_ISREG(info.st_mode):
                    yield Item(rel, '', lambda size, full=entry.path: _read_file(full, size), '', info.st_size)
                else:
                    why = 'a symbolic link' if stat.S_ISLNK(info.st_mode) else 'not a regular file'
                    yield Item(rel, '', None, why, 0)
        level = deeper


def _read_file(path, size):
    with open(path, 'rb') as handle:
        return handle.read(size)


def zip_items(archive):
    """The Items of the open zip `archive`, shallowest first; the members under a skipped folder
    give one item, the folder's."""
    names = {info.filename.replace('\\', '/'): info for info in archive.infolist()}
    venvs = {name.rpartition('/')[0] + '/' for name in names if name.rpartition('/')[2] == VENV_MARK}
    for name in sorted(names, key=lambda name: (name.rstrip('/').count('/'), name)):
        info, skipped = names[name], _zip_skipped(name, venvs)
        if skipped:
            yield Item(*skipped, None, '', 0 if skipped[0] != name else info.file_size)
        elif _zip_member_problem(info):
            yield Item(name, '', None, _zip_member_problem(info), info.file_size)
        elif not info.is_dir():
            yield Item(name, '', lambda size, info=info: _read_member(archive, info, size), '', info.file_size)


def _zip_skipped(name, venvs):
    """(the skipped folder or file, what it is) when the member `name` is or lies in one, else None."""
    parts = name.split('/')
    for depth, part in enumerate(parts[:-1], 1):
        folder = '/'.join(parts[:depth]) + '/'
        skip = _skip_kind(part, True, folder in venvs)
        if skip:
            return folder, skip
    skip = _skip_kind(parts[-1], False)
    return (name, skip) if skip and parts[-1] else None


def _read_member(archive, info, size):
    with archive.open(info) as member:
        return member.read(size)


def _zip_member_problem(info):
    """Why a zip member may not be taken, or ''."""
    name = info.filename.replace('\\', '/')
    limit = MAX_DOCUMENT_BYTES if name.lower().endswith(DOCUMENTS) else MAX_FILE_BYTES
    if name.startswith('/') or (len(name) > 1 and name[1] == ':'):
        return 'an absolute path'
    if '..' in name.split('/'):
        return 'a path that climbs out of the folder (..)'
    if stat.S_ISLNK(info.external_attr >> 16):
        return 'a symbolic link'
    if info.flag_bits & 0x1:
        return 'encrypted'
    if info.file_size > limit:
        return f'larger than {limit} bytes once unpacked'
    return ''
