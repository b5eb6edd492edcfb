"""A submission's files, read without trusting it: from a folder or a .zip, only the files of the case.

A case file (e.g. `loss.py`) is matched by its basename at any depth of the submission (students zip
`loss.py` or `alice/loss.py` alike); when several entries carry that name, the shallowest is taken,
and a tie is refused. Everything else is listed as ignored. Nothing from a submission is ever
extracted to disk here: the files come back as bytes, with caps on sizes and counts, and zip members
whose path is absolute or climbs out with `..`, symlinks and special files are refused.
"""
import contextlib
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass, field

MAX_FILE_BYTES = 1_000_000      # one case file
MAX_TOTAL_BYTES = 20_000_000    # everything read from one submission
MAX_ENTRIES = 2_000             # files listed in one submission


@dataclass
class Intake:
    """What was taken from one submission, and what was not."""
    name: str
    source: str
    files: dict = field(default_factory=dict)      # case file's relative path -> bytes
    missing: list = field(default_factory=list)    # case files the submission lacks
    ignored: list = field(default_factory=list)    # entries that are not case files
    refused: list = field(default_factory=list)    # (entry, why): unsafe or too large
    error: str = ''                                # the submission could not be read at all


def read_submission(path, case_files):
    """Intake of the folder or .zip at `path` for the given case files (relative paths)."""
    intake = Intake(submission_name(path), path)
    try:
        with contextlib.ExitStack() as stack:
            if os.path.isdir(path):
                entries = _folder_entries(path, intake)
            elif zipfile.is_zipfile(path):
                entries = _zip_entries(stack.enter_context(zipfile.ZipFile(path)), intake)
            else:
                intake.error = f'{path} is neither a folder nor a .zip file'
                entries = {}
            _pick(entries, case_files, intake)
    except (OSError, zipfile.BadZipFile, RuntimeError) as error:
        intake.error = f'{path} could not be read: {error}'
        _pick({}, case_files, intake)
    return intake


def submission_name(path):
    base = os.path.basename(os.path.normpath(path))
    return base[:-4] if base.lower().endswith('.zip') else base


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


def _folder_entries(root, intake):
    """{relative path: reader} of the regular files under `root`; symlinks are refused, not followed."""
    entries = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in sorted(dirs + files):
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, root).replace(os.sep, '/')
            mode = os.lstat(full).st_mode
            if stat.S_ISLNK(mode):
                intake.refused.append((rel, 'a symbolic link'))
            elif stat.S_ISREG(mode):
                entries[rel] = _capped(lambda size, full=full: _read_file(full, size))
            elif not stat.S_ISDIR(mode):
                intake.refused.append((rel, 'not a regular file'))
            if len(entries) > MAX_ENTRIES:
                raise RuntimeError(f'more than {MAX_ENTRIES} files')
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
    return entries


def _read_file(path, size):
    with open(path, 'rb') as handle:
        return handle.read(size)


def _zip_entries(archive, intake):
    """{member name: reader} of the safe members of the open zip `archive`; the others go to intake.refused."""
    entries, total = {}, 0
    members = archive.infolist()
    if len(members) > MAX_ENTRIES:
        raise RuntimeError(f'more than {MAX_ENTRIES} members')
    for info in members:
        name, why = info.filename.replace('\\', '/'), _zip_member_problem(info)
        if why:
            intake.refused.append((name, why))
            continue
        if info.is_dir():
            continue
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            intake.refused.append((name, f'the zip holds more than {MAX_TOTAL_BYTES} bytes in all'))
            continue
        entries[name] = _capped(lambda size, info=info: _read_member(archive, info, size))
    return entries


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
