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

For the assignment's rules (teacher/rules/), never run here either, the intake also takes, with the
same caps and refusals: the case's notebook (`notebook=`, e.g. 'runner.ipynb', found by name as the
case files are; when no file has that name, the hand-in's only .ipynb, and the note says so), every
.pdf (up to MAX_PDFS, shallowest first), and the hand-in's other .py files and notebooks (the framework
check parses them), up to MAX_SOURCES_BYTES in all. A notebook or PDF may hold up to MAX_DOCUMENT_BYTES,
and a notebook with one output over MAX_OUTPUT_BYTES is refused. The data sets it meets are recorded in
`data_sets` for the data rule: the MNIST files (raw or .gz, skipped), data/ folders (skipped) and any
other file over DATA_FILE_BYTES (not read).
"""
import contextlib
import json
import os
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from teacher.entries import (  # noqa: F401  (the limits, also read from here)
    DATA_FILE_BYTES, DOCUMENTS, MAX_DOCUMENT_BYTES, MAX_ENTRIES, MAX_FILE_BYTES, MAX_OUTPUT_BYTES, MAX_PDFS,
    MAX_SOURCES_BYTES, MNIST_FILE, SKIPPED, folder_items, take, zip_items)

SHOWN_IGNORED = 20           # ignored entries named in the feedback; the rest are counted


@dataclass
class Intake:
    """What was taken from one submission, and what was not."""
    name: str
    source: str
    files: dict = field(default_factory=dict)      # case file's relative path -> bytes
    found_at: dict = field(default_factory=dict)   # case file's relative path -> its path in the hand-in
    missing: list = field(default_factory=list)    # case files the submission lacks
    ignored: list = field(default_factory=list)    # entries that are not case files
    refused: list = field(default_factory=list)    # (entry, why): unsafe or too large
    skipped: dict = field(default_factory=dict)    # entry -> what it is (SKIPPED): not looked into
    over_cap: bool = False                         # more than MAX_ENTRIES entries: the deepest not looked at
    error: str = ''                                # the submission could not be read at all
    # for the assignment's rules (teacher/rules/); none of it is graded by the tests
    notebook_wanted: str = ''                      # the case's notebook asked for ('' : not asked for)
    notebook: str = ''                             # the notebook's path in the hand-in ('' when none found)
    notebook_bytes: bytes = None                   # its bytes (None when none was found or it was refused)
    notebook_note: str = ''                        # a renamed notebook taken, or why none could be
    pdfs: dict = field(default_factory=dict)       # path -> bytes of each PDF taken
    sources: dict = field(default_factory=dict)    # path -> bytes of the other .py files and notebooks
    data_sets: list = field(default_factory=list)  # (path, what): data found in the hand-in (the data rule)

    def nothing_read(self):
        """Why no case file could be taken ('' when one was): the reason a 0 is not the student's code."""
        if self.files:
            return ''
        return self.error or f'none of {", ".join(self.missing)} could be taken from {self.source}'

    def read_for_rules(self):
        """The paths read for the assignment's rules (the notebook, the PDFs, the other sources), sorted."""
        notebook = [self.notebook] if self.notebook_bytes is not None else []
        return sorted(notebook + list(self.pdfs) + list(self.sources))

    def skipped_summary(self):
        """'1 virtual environment, 2 caches' for what was skipped, or ''."""
        counts = Counter(self.skipped.values())
        return ', '.join(f'{n} {kind}' if n == 1 else f'{n} {_plural(kind)}' for kind, n in sorted(counts.items()))


def _plural(kind):
    return kind[:-1] + 'ies' if kind.endswith('y') else kind + 's'


def read_submission(path, case_files, notebook=''):
    """Intake of the folder or .zip at `path` for the given case files (relative paths); `notebook`: the
    name of the case's notebook to take for the rules (e.g. 'runner.ipynb'; '' takes none)."""
    intake = Intake(submission_name(path), path, notebook_wanted=notebook)
    try:
        with contextlib.ExitStack() as stack:
            if os.path.isdir(path):
                items = folder_items(path)
            elif zipfile.is_zipfile(path):
                items = zip_items(stack.enter_context(zipfile.ZipFile(path)))
            else:
                intake.error = f'{path} is neither a folder nor a .zip file'
                items = ()
            entries = _entries(items, intake)
            _pick(entries, case_files, intake)
            _pick_for_rules(entries, intake)
    except (OSError, zipfile.BadZipFile, RuntimeError) as error:
        intake.error = f'{path} could not be read: {error}'
        _pick({}, case_files, intake)
    return intake


def submission_name(path):
    base = os.path.basename(os.path.normpath(path))
    return base[:-4] if base.lower().endswith('.zip') else base


def _entries(items, intake):
    """{entry name: Item} of the items' regular files, up to MAX_ENTRIES entries; the skipped and
    refused items go to the intake, and the data sets among all of them to intake.data_sets."""
    entries, seen = {}, 0
    for item in items:
        _note_data_set(item, intake)
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
            entries[item.path] = item
    return entries


def _note_data_set(item, intake):
    """Record the item in intake.data_sets when it is a data folder, an MNIST file or a file over DATA_FILE_BYTES."""
    base = item.path.rstrip('/').rsplit('/', 1)[-1]
    if item.skip == SKIPPED['data']:
        what = 'a data folder'
    elif MNIST_FILE.match(base) and not item.path.endswith('/'):
        what = 'an MNIST file'
    elif (item.size or 0) > DATA_FILE_BYTES and not base.lower().endswith(DOCUMENTS):
        what = f'a file of {item.size:,} bytes (over {DATA_FILE_BYTES:,})'
    else:
        return
    if all(path != item.path for path, _ in intake.data_sets):
        intake.data_sets.append((item.path, what))


def _depth_first(names):
    return sorted(names, key=lambda name: (name.count('/'), name))


def _by_name(entries, base):
    """The entry named `base` (shallowest), or (None, why) when none or a tie."""
    matches = _depth_first(name for name in entries if name.rsplit('/', 1)[-1] == base)
    if not matches:
        return None, ''
    if len(matches) > 1 and matches[0].count('/') == matches[1].count('/'):
        return None, 'several files of that name at the same depth: ' + ', '.join(matches)
    return matches[0], ''


def _pick(entries, case_files, intake):
    """Move each case file's bytes from `entries` ({entry name: Item}) into intake.files."""
    taken = set()
    for wanted in case_files:
        base = os.path.basename(wanted)
        name, why = _by_name(entries, base)
        if name is None:
            if why:
                intake.refused.append((base, why))
            intake.missing.append(wanted)
            continue
        data, why = take(entries[name], MAX_FILE_BYTES)
        taken.add(name)
        if why:
            intake.refused.append((name, why))
            intake.missing.append(wanted)
        else:
            intake.files[wanted], intake.found_at[wanted] = data, name
    intake.ignored.extend(sorted(set(entries) - taken))


def _pick_for_rules(entries, intake):
    """Take the case's notebook, the PDFs and the other sources from the ignored entries (see above)."""
    ignored = set(intake.ignored)
    left = [name for name in entries if name in ignored]
    taken = {_pick_notebook({name: entries[name] for name in left}, intake)} - {''}
    for name in [n for n in _depth_first(left) if n.lower().endswith('.pdf')][:MAX_PDFS]:
        taken.add(name)
        _keep(name, *take(entries[name], MAX_DOCUMENT_BYTES), intake.pdfs, intake)
    budget = MAX_SOURCES_BYTES
    for name in _depth_first(n for n in left if n.endswith(('.py', '.ipynb')) and n not in taken):
        taken.add(name)
        limit = min(budget, MAX_DOCUMENT_BYTES if name.endswith('.ipynb') else MAX_FILE_BYTES)
        data, why = take(entries[name], limit)
        if why and limit == budget:
            why = (f'not read for the framework check: the other .py files and notebooks pass '
                   f'{MAX_SOURCES_BYTES:,} bytes')
        budget -= len(data or b'')
        _keep(name, data, why, intake.sources, intake)
    intake.ignored[:] = [name for name in intake.ignored if name not in taken]


def _keep(name, data, why, into, intake):
    if why:
        intake.refused.append((name, why))
    else:
        into[name] = data


def _pick_notebook(entries, intake):
    """Take the case's notebook into intake (by name, else the only .ipynb); its entry name, or ''."""
    wanted = intake.notebook_wanted
    if not wanted:
        return ''
    name, why = _by_name(entries, wanted)
    others = _depth_first(n for n in entries if n.lower().endswith('.ipynb'))
    refused = [(path, why) for path, why in intake.refused if path.rsplit('/', 1)[-1] == wanted]
    if name is None and refused:   # found, but refused as it was met (a zip member too large, a link)
        intake.notebook, intake.notebook_note = refused[0][0], f'{refused[0][0]}: {refused[0][1]}'
        return ''
    if name is None and not why and len(others) == 1:
        name = others[0]
        intake.notebook_note = f'no {wanted} in the hand-in: its only notebook, {name}, was taken instead'
    elif name is None:
        intake.notebook_note = why or f'no {wanted} in the hand-in' + (
            f' (its notebooks: {", ".join(others[:5])}{", ..." if len(others) > 5 else ""})' if others else '')
        return ''
    intake.notebook = name
    data, why = take(entries[name], MAX_DOCUMENT_BYTES)
    why = why or _output_over_cap(data)
    if why:
        intake.refused.append((name, why))
        intake.notebook_note = f'{name}: {why}'
    else:
        intake.notebook_bytes = data
    return name


def _output_over_cap(data):
    """Why the notebook's bytes are refused for an output over MAX_OUTPUT_BYTES, else ''. A notebook
    that is not JSON passes here: the notebook rule reports it as unreadable."""
    try:
        cells = json.loads(data).get('cells', [])
    except (ValueError, AttributeError, RecursionError):   # nested past the parser's depth: not a notebook
        return ''
    for number, cell in enumerate(cells if isinstance(cells, list) else [], 1):
        outputs = cell.get('outputs', []) if isinstance(cell, dict) else []
        for output in outputs if isinstance(outputs, list) else []:
            size = len(json.dumps(output, ensure_ascii=False).encode())
            if size > MAX_OUTPUT_BYTES:
                return f'cell {number} holds an output of {size:,} bytes, over the limit of {MAX_OUTPUT_BYTES:,} bytes'
    return ''


