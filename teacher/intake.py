"""A submission's files, read without trusting it: from a folder or a .zip, only the files of the case.

A case file (e.g. `loss.py`) is matched by its basename at any depth of the submission (students zip
`loss.py` or `alice/loss.py` alike); when several entries carry that name, the shallowest is taken,
and a tie is refused. What no student hands in (a virtual environment, caches, .git, data/, *.gz;
`SKIPPED`) is passed over without being looked into or counted against the limits, and summarised
as a count; everything else that is not a case file is listed as ignored. The submission is looked
at shallowest first, so the case files are found even when the count of entries runs over its cap.
Nothing from a submission is ever extracted to disk here: the files come back as bytes, with caps
on sizes and counts, and zip members whose path is absolute or climbs out with `..`, symlinks and
special files are refused.
"""
import contextlib
import os
import stat
import zipfile
import zlib
from collections import Counter, namedtuple
from dataclasses import dataclass, field

MAX_FILE_BYTES = 1_000_000      # one case file
MAX_ENTRIES = 2_000             # entries looked at in one submission, besides the skipped ones
SKIPPED = {   # folder name -> what it is: folders no student hands in (.git is a file in a git worktree)
    '.venv': 'virtual environment', 'venv': 'virtual environment', '__pycache__': 'cache',
    '.ipynb_checkpoints': 'cache', '.pytest_cache': 'cache', '.git': 'git repository',
    'data': 'data folder', '__MACOSX': 'macOS archive folder'}
SKIPPED_SUFFIX = ('.gz', 'compressed file')   # data files, such as MNIST's
VENV_MARK = 'pyvenv.cfg'     # a folder holding it is a virtual environment, whatever its name
SHOWN_IGNORED = 20           # ignored entries named in the feedback; the rest are counted


@dataclass
class Intake:
    """What was taken from one submission, and what was not."""
    name: str
    source: str
    files: dict = field(default_factory=dict)      # case file's relative path -> bytes
    missing: list = field(default_factory=list)    # case files the submission lacks
    ignored: list = field(default_factory=list)    # entries that are not case files
    refused: list = field(default_factory=list)    # (entry, why): unsafe or too large
    skipped: dict = field(default_factory=dict)    # entry -> what it is (SKIPPED): not looked into
    over_cap: bool = False                         # more than MAX_ENTRIES entries: the deepest not looked at
    error: str = ''                                # the submission could not be read at all

    def nothing_read(self):
        """Why no case file could be taken ('' when one was): the reason a 0 is not the student's code."""
        if self.files:
            return ''
        return self.error or f'none of {", ".join(self.missing)} could be taken from {self.source}'

    def skipped_summary(self):
        """'1 virtual environment, 2 caches' for what was skipped, or ''."""
        counts = Counter(self.skipped.values())
        return ', '.join(f'{n} {kind}' if n == 1 else f'{n} {_plural(kind)}' for kind, n in sorted(counts.items()))


def _plural(kind):
    return kind[:-1] + 'ies' if kind.endswith('y') else kind + 's'


# One entry of a submission, shallowest first: its relative path, what it is when skipped (else ''),
# a reader of its bytes (regular files only) and why it is refused (else '').
Item = namedtuple('Item', 'path skip reader why')


def read_submission(path, case_files):
    """Intake of the folder or .zip at `path` for the given case files (relative paths)."""
    intake = Intake(submission_name(path), path)
    try:
        with contextlib.ExitStack() as stack:
            if os.path.isdir(path):
                items = _folder_items(path)
            elif zipfile.is_zipfile(path):
                items = _zip_items(stack.enter_context(zipfile.ZipFile(path)))
            else:
                intake.error = f'{path} is neither a folder nor a .zip file'
                items = ()
            _pick(_entries(items, intake), case_files, intake)
    except (OSError, zipfile.BadZipFile, RuntimeError) as error:
        intake.error = f'{path} could not be read: {error}'
        _pick({}, case_files, intake)
    return intake


def submission_name(path):
    base = os.path.basename(os.path.normpath(path))
    return base[:-4] if base.lower().endswith('.zip') else base


def _entries(items, intake):
    """{entry name: reader} of the items' regular files, up to MAX_ENTRIES entries; the skipped and
    refused items go to the intake."""
    entries, seen = {}, 0
    for item in items:
        if item.skip:
            intake.skipped.setdefault(item.path, item.skip)
            continue
        seen += 1
        if seen > MAX_ENTRIES:
            intake.over_cap = True
            break
        if item.why:
            intake.refused.append((item.path, item.why))
        else:
            entries[item.path] = item.reader
    return entries


def _skip_kind(name, is_dir, holds_venv=False):
    """What the entry called `name` is when no student hands it in, else ''."""
    if is_dir and holds_venv:
        return SKIPPED['.venv']
    if name in SKIPPED and (is_dir or name == '.git'):
        return SKIPPED[name]
    return SKIPPED_SUFFIX[1] if not is_dir and name.endswith(SKIPPED_SUFFIX[0]) else ''


def _pick(entries, case_files, intake):
    """Move each case file's bytes from `entries` ({entry name: reader}) into intake.files."""
    taken = set()
    for wanted in case_files:
        base = os.path.basename(wanted)
        matches = sorted((name.count('/'), name) for name in entries if name.rsplit('/', 1)[-1] == base)
        if not matches:
            intake.missing.append(wanted)
            continue
        if len(matches) > 1 and matches[0][0] == matches[1][0]:
            intake.refused.append((base, 'several files of that name at the same depth: '
                                   + ', '.join(name for _, name in matches)))
            intake.missing.append(wanted)
            continue
        name = matches[0][1]
        data, why = entries[name]()
        taken.add(name)
        if why:
            intake.refused.append((name, why))
            intake.missing.append(wanted)
        else:
            intake.files[wanted] = data
    intake.ignored.extend(sorted(set(entries) - taken))


def _capped(read):
    """A reader giving (bytes, '') or (None, why) when the file is over MAX_FILE_BYTES or unreadable
    (a corrupt zip member, an unsupported compression, a file that vanished)."""
    def reader():
        try:
            data = read(MAX_FILE_BYTES + 1)
        except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zipfile.BadZipFile,
                zlib.error) as error:
            return None, f'could not be read: {type(error).__name__}: {error}'
        if len(data) > MAX_FILE_BYTES:
            return None, f'larger than {MAX_FILE_BYTES} bytes'
        return data, ''
    return reader


def _folder_items(root):
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
                yield Item(folder or '.', '', None, f'could not be read: {error.strerror}')
                continue
            for entry in found:
                rel, mode = folder + entry.name, entry.stat(follow_symlinks=False).st_mode
                is_dir = stat.S_ISDIR(mode)
                skip = _skip_kind(entry.name, is_dir, is_dir and os.path.lexists(os.path.join(entry.path, VENV_MARK)))
                if skip:
                    yield Item(rel + '/' * is_dir, skip, None, '')
                elif is_dir:
                    deeper.append(rel + '/')
                elif stat.S_ISREG(mode):
                    yield Item(rel, '', _capped(lambda size, full=entry.path: _read_file(full, size)), '')
                else:
                    yield Item(rel, '', None, 'a symbolic link' if stat.S_ISLNK(mode) else 'not a regular file')
        level = deeper


def _read_file(path, size):
    with open(path, 'rb') as handle:
        return handle.read(size)


def _zip_items(archive):
    """The Items of the open zip `archive`, shallowest first; the members under a skipped folder
    give one item, the folder's."""
    names = {info.filename.replace('\\', '/'): info for info in archive.infolist()}
    venvs = {name.rpartition('/')[0] + '/' for name in names if name.rpartition('/')[2] == VENV_MARK}
    for name in sorted(names, key=lambda name: (name.rstrip('/').count('/'), name)):
        info, skipped = names[name], _zip_skipped(name, venvs)
        if skipped:
            yield Item(*skipped, None, '')
        elif _zip_member_problem(info):
            yield Item(name, '', None, _zip_member_problem(info))
        elif not info.is_dir():
            yield Item(name, '', _capped(lambda size, info=info: _read_member(archive, info, size)), '')


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
    if name.startswith('/') or (len(name) > 1 and name[1] == ':'):
        return 'an absolute path'
    if '..' in name.split('/'):
        return 'a path that climbs out of the folder (..)'
    if stat.S_ISLNK(info.external_attr >> 16):
        return 'a symbolic link'
    if info.flag_bits & 0x1:
        return 'encrypted'
    if info.file_size > MAX_FILE_BYTES:
        return f'larger than {MAX_FILE_BYTES} bytes once unpacked'
    return ''
