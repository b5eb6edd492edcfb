"""A class's submissions read, reduced to what each student wrote, and scored pair by pair.

`compare(paths, case, references)` reads every submission through teacher.intake (nothing of it runs),
extracts the student's code of each case file against the release (extract.py; a file that cannot be
parsed falls back to tokens), fingerprints it (fingerprint.py) and scores every pair (score.py). What
cannot be compared (an empty folder, a refused zip member, a binary file, a file over the size cap) is
named in `Cohort.skipped` and left out; the rest is compared. References are compared with every
submission, never with each other.
"""
import os
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from teacher import handout
from teacher.intake import read_submission
from teacher.similarity import extract, fingerprint, score
from teacher.similarity.canon import Graph

BEHAVIOUR = 'behaviour'
BEHAVIOUR_SCALE = 0.5 ** 0.5   # one wrong output shared weighs as half a function written alike


@dataclass
class Doc:
    """One submission (or reference) as compared."""
    name: str
    source: str
    reference: bool = False
    texts: dict = field(default_factory=dict)      # case file -> text
    units: dict = field(default_factory=dict)      # (file, function) -> extract.Unit
    steps: dict = field(default_factory=dict)      # (file, function) -> {step digest: its fingerprint}
    unit_prints: dict = field(default_factory=dict)   # (file, function) -> its fingerprints
    prints: dict = field(default_factory=dict)     # channel ('ast:<file>', 'tok:<file>', 'behaviour') -> {fp: scale}
    fallback: dict = field(default_factory=dict)   # file -> why it was compared by tokens
    wrong: dict = field(default_factory=dict)      # behaviour fingerprint -> what was wrong, in words


@dataclass
class Cohort:
    case: int
    docs: list                                      # the compared submissions, then the references
    skipped: list                                   # (submission, file or '', why)
    graph: Graph
    counts: dict = field(default_factory=dict)     # fingerprint -> how many documents hold it
    weight: dict = field(default_factory=dict)     # fingerprint -> its weight
    files: dict = field(default_factory=dict)      # file -> (n × n) scores
    scores: np.ndarray = None                      # (n × n) pair scores
    pairs: list = field(default_factory=list)      # (i, j) compared: submissions together, each with each reference
    threshold: float = 0.0
    threshold_how: str = ''
    release: dict = field(default_factory=dict)    # file -> the release's text


def release_of(case, source_dir=None):
    """({file: the release's text}, {file: the names of its TODO functions}) of the case."""
    source_dir = source_dir or handout.ROOT
    files = handout.case_files(case, source_dir)
    todos = {f: {function for name, function, _, _ in handout.case_regions(case, source_dir)[0] if name == f}
             for f in files}
    return {f: handout.strip(os.path.join(source_dir, f), case) for f in files}, todos


def read_doc(path, release, todos, graph, truncated, skipped, reference=False):
    """The Doc of the submission at `path`, or None when nothing of it can be compared (said in `skipped`)."""
    intake = read_submission(path, list(release))
    name = ('reference:' if reference else '') + intake.name
    for entry, why in intake.refused:
        skipped.append((name, entry, why))
    doc = Doc(name, path, reference)
    for file, data in intake.files.items():
        text, why = _text(data)
        if why:
            skipped.append((name, file, why))
            continue
        doc.texts[file] = text
        _add_file(doc, file, release[file], text, todos.get(file, ()), graph, truncated)
    if not doc.texts:
        skipped.append((name, '', intake.nothing_read() or 'no case file could be compared'))
        return None
    return doc


def _text(data):
    """(text, '') of a file's bytes, or ('', why) when it is not a Python text file."""
    if b'\0' in data:
        return '', 'not a text file (binary content under a .py name)'
    try:
        return data.decode('utf-8'), ''
    except UnicodeDecodeError as error:
        return '', f'not UTF-8 text ({error.reason} at byte {error.start})'


def _add_file(doc, file, release_text, text, todos, graph, truncated):
    tokens = fingerprint.token_prints(file, fingerprint.student_lines(release_text, text))
    doc.prints['tok:' + file] = dict.fromkeys(tokens, (max(1, len(todos)) / max(1, len(tokens))) ** 0.5)
    try:
        units = extract.units(graph, file, release_text, text, todos)
    except (SyntaxError, ValueError, RecursionError) as error:   # execute.TooComplex is a ValueError
        line = getattr(error, 'lineno', None)
        doc.fallback[file] = f'{type(error).__name__}{f" at line {line}" if line else f": {error}"}'
        return
    prints = doc.prints.setdefault('ast:' + file, {})
    for unit in units:
        key = (file, unit.name)
        doc.units[key] = unit
        unit_steps = fingerprint.steps(graph, unit)
        found = fingerprint.unit_prints(graph, unit, truncated, unit_steps)
        prints.update(dict.fromkeys(found, 1 / max(1, len(found)) ** 0.5))   # each function counts alike
        doc.unit_prints[key] = set(found)
        doc.steps[key] = {step: fp for fp, step in found.items() if step is not None}


def compare(paths, case, references=(), source_dir=None, behaviour=None, threshold=None, progress=None):
    """The scored Cohort of the submissions at `paths` (and the reference folders); `behaviour`:
    {submission name: {fingerprint: words}} of wrong probe outputs (teacher.similarity.behaviour)."""
    release, todos = release_of(case, source_dir)
    graph, skipped, docs = Graph(), [], []
    truncated = fingerprint.Truncated(graph)
    everyone = [(p, False) for p in paths] + [(p, True) for p in references]
    for count, (path, reference) in enumerate(everyone, 1):
        doc = read_doc(path, release, todos, graph, truncated, skipped, reference)
        if doc is not None:
            doc.wrong = dict((behaviour or {}).get(doc.name, {}))
            doc.prints[BEHAVIOUR] = dict.fromkeys(doc.wrong, BEHAVIOUR_SCALE)
            docs.append(doc)
        if progress:
            progress(f'read {count} of {len(everyone)}')
    cohort = Cohort(case, docs, skipped, graph, release=release)
    _score(cohort, list(release), progress)
    students = [i for i, d in enumerate(docs) if not d.reference]
    cohort.pairs = [(i, j) for i, j in combinations(range(len(docs)), 2)
                    if not docs[j].reference or not docs[i].reference]
    cohort.threshold, cohort.threshold_how = score.threshold(cohort.scores, students, len(cohort.pairs))
    if threshold is not None:
        cohort.threshold, cohort.threshold_how = threshold, f'{threshold:g}, given with --threshold'
    return cohort


def _score(cohort, files, progress):
    """Weights, each file's evidence and the pairs' scores (see score.py)."""
    docs, n = cohort.docs, len(cohort.docs)
    channels = [f'{kind}:{file}' for file in files for kind in ('ast', 'tok')] + [BEHAVIOUR]
    arrays = {c: [np.fromiter(d.prints.get(c, {}), np.uint64) for d in docs] for c in channels}
    scales = {c: [np.fromiter(d.prints.get(c, {}).values(), np.float64) for d in docs] for c in channels}
    unique, weight, counts = score.weights([a for c in channels for a in arrays[c]], n)
    cohort.counts = dict(zip(unique.tolist(), counts.tolist()))
    cohort.weight = dict(zip(unique.tolist(), weight.tolist()))
    by_channel = {c: score.shared(arrays[c], scales[c], unique, weight, counts) for c in channels}
    common, own = {}, {}
    references = sum(d.reference for d in docs)
    pairs = (n - references) * (n - references - 1) // 2 + references * (n - references)
    scale, file_scale = score.evidence_scale(pairs), score.evidence_scale(pairs * max(1, len(files)))
    for file in files:   # a file parsed on both sides compares code, else tokens
        parsed = np.array([file in d.texts and file not in d.fallback for d in docs])
        both = np.outer(parsed, parsed)
        (ast_common, ast_own), (tok_common, tok_own) = by_channel['ast:' + file], by_channel['tok:' + file]
        common[file] = np.where(both, ast_common, tok_common)
        own[file] = np.where(both, ast_own[:, None], tok_own[:, None])    # row i: document i's own evidence
        cohort.files[file] = score.pair_score(common[file], own[file], file_scale)   # F files: F·P chances
    behaviour_common, behaviour_own = by_channel[BEHAVIOUR]
    whole = score.pair_score(sum(common.values()) + behaviour_common,
                             sum(own.values()) + behaviour_own[:, None] if files else behaviour_own[:, None], scale)
    cohort.scores = np.max(np.stack([whole, *cohort.files.values()]), axis=0)
    if progress:
        progress(f'scored {n * (n - 1) // 2} pairs')
