"""teacher.grade writes the similarity report beside grades.csv, with behaviour as evidence: two
submissions that return the same wrong numbers for the same input are said to. A full grading run
(slow); the submissions are made inside tmp_path."""
import csv

import pytest

import similarity_corpus
from teacher import grade, sandbox
from teacher.run import Limits

LIMITS = Limits(wall=90, per_test=6, memory_mb=900, output_mb=2)
WRONG = (('layers.py', 'SigmoidLayer.backward'), 'times_output')   # the factor (1 - f) forgotten


@pytest.mark.slow
def test_grading_writes_the_report_and_names_the_same_wrong_gradient(tmp_path):
    release = similarity_corpus.make_release(str(tmp_path / 'release'))
    students = similarity_corpus.honest_students(6, seed=5)
    for k in (0, 1):    # two students who otherwise wrote differently make the same rare mistake
        students[k]['picks'][WRONG[0]] = WRONG[1]
    paths = [similarity_corpus.write_submission(str(tmp_path / f's{k}'),
                                                similarity_corpus.submission_texts(release, student))
             for k, student in enumerate(students)]
    (tmp_path / 'work').mkdir()
    grade.grade(paths, 2, str(tmp_path / 'out'), LIMITS, work=str(tmp_path / 'work'),
                no_sandbox=not sandbox.support().usable)
    with open(tmp_path / 'out' / 'similarity.csv', newline='') as handle:
        rows = {(row['a'], row['b']): row for row in csv.DictReader(handle)}
    assert len(rows) == 15 and list(next(iter(rows.values()))) == ['a', 'b', 'score', 'flagged', 'evidence']
    evidence = rows[('s0', 's1')]['evidence']
    assert 'both return the same wrong dx from activation_backward for the same input' in evidence, evidence
    with open(tmp_path / 'out' / 'grades.csv', newline='') as handle:
        perfect = {row['name'] for row in csv.DictReader(handle) if float(row['score']) == float(row['max'])}
    assert perfect and not any('same wrong' in row['evidence'] for key, row in rows.items() if perfect & set(key))
    assert (tmp_path / 'out' / 'similarity.html').exists()


def test_no_similarity_is_passed_on_and_the_report_is_on_by_default(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(grade, 'grade', lambda *args, **kwargs: seen.append(kwargs) or ([], []))
    monkeypatch.setattr(grade.sandbox, 'support', lambda: None)
    for flags in ([], ['--no-similarity']):
        assert grade.main([str(tmp_path), '--case', '2', '--out', str(tmp_path / 'out'), '--no-sandbox', *flags]) == 0
    assert [kwargs['similarity'] for kwargs in seen] == [True, False]
