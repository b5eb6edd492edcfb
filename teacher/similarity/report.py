"""The pairs as rows, and DIR/similarity.csv: a, b, score, flagged, evidence, highest score first.

a and b are the names grades.csv uses (intake.submission_name); a reference is `reference:<name>`,
always in b. The evidence is worded in full for the DETAILED highest pairs (every flagged pair among
them); the long tail gets a short sentence.
"""
import csv
import os
from dataclasses import dataclass

from files import write_atomic
from teacher.similarity import evidence

DETAILED = 3000
COLUMNS = ('a', 'b', 'score', 'flagged', 'evidence')


@dataclass
class Row:
    a: int             # indices into cohort.docs
    b: int
    score: float
    flagged: bool
    evidence: str


def rows(cohort):
    """[Row] of every compared pair, highest score first (ties by name)."""
    docs, scores = cohort.docs, cohort.scores
    pairs = [(j, i) if docs[i].reference else (i, j) for i, j in cohort.pairs]
    pairs.sort(key=lambda p: (-round(float(scores[p]), 6), docs[p[0]].name, docs[p[1]].name))
    found = []
    for rank, (i, j) in enumerate(pairs):
        value = round(float(scores[i, j]), 4)
        flagged = value >= cohort.threshold
        found.append(Row(i, j, value, flagged, evidence.sentence(cohort, i, j, flagged or rank < DETAILED)))
    return found


def groups(cohort, found):
    """[[doc index]] of the submissions joined by flagged pairs, three or more, largest first."""
    parent = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x
    for row in found:
        if row.flagged and not cohort.docs[row.b].reference:
            parent[root(row.a)] = root(row.b)
    members = {}
    for x in parent:
        members.setdefault(root(x), []).append(x)
    return sorted((sorted(m) for m in members.values() if len(m) >= 3), key=lambda m: (-len(m), m))


def write_csv(out, cohort, found):
    os.makedirs(out, exist_ok=True)

    def table(handle):
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in found:
            writer.writerow([cohort.docs[row.a].name, cohort.docs[row.b].name, f'{row.score:.4f}', int(row.flagged),
                             row.evidence])
    write_atomic(os.path.join(out, 'similarity.csv'), table, text=True)


def write_reports(paths, case, out, references=(), threshold=None, behaviour=None, progress=None, source_dir=None):
    """Compare the submissions and write DIR/similarity.csv and DIR/similarity.html; (cohort, rows)."""
    from teacher.similarity import cohort as cohorts, report_html
    cohort = cohorts.compare(paths, case, references, source_dir, behaviour, threshold, progress)
    found = rows(cohort)
    write_csv(out, cohort, found)
    report_html.write_html(out, cohort, found, groups(cohort, found))
    return cohort, found
