"""The similarity corpus (tests/similarity_corpus.py) and its disguises (tests/similarity_disguise.py):
every honest answer computes what the project's solution computes, every wrong one does not, and every
disguise keeps the numbers of the answer it disguises."""
import csv
import filecmp
import os
import subprocess
import sys

import pytest

import similarity_corpus as corpus
import similarity_disguise as disguises


@pytest.fixture(scope='module')
def solution():
    return corpus.probe(corpus.ROOT)


@pytest.fixture(scope='module')
def answers():
    return corpus.load_answers()


def _numbers(answer, folder):
    return corpus.probe(corpus.project_with(answer, str(folder)))


def test_every_case2_todo_has_twelve_honest_styles_and_a_wrong_one(answers):
    keys, optional = corpus.todo_keys()
    assert sorted(answers) == sorted(keys)
    for key in keys:
        honest = [a.style for a in answers[key] if not a.wrong]
        assert len(honest) >= 12 and len(set(honest)) == len(honest), key
    assert sum(1 for key in keys if any(a.wrong for a in answers[key])) >= 12


def test_honest_answers_compute_the_solution_and_wrong_ones_do_not(answers, solution, tmp_path):
    for key, found in answers.items():
        for i, answer in enumerate(found):
            differs = corpus.differences(solution, _numbers(answer, tmp_path / f'{i}{answer.function}'))
            assert bool(differs) == bool(answer.wrong), (key, answer.style, differs[:3])


def _changed_by(kind, found):
    """The first answer of the list whose text the disguise changes, with its disguised form."""
    for i, answer in enumerate(found):
        disguised = disguises.disguise(answer, [kind], seed=i)
        if (disguised.body, disguised.module) != (answer.body, answer.module):
            return answer, disguised
    return found[0], disguises.disguise(found[0], [kind], seed=0)


@pytest.mark.parametrize('kind', disguises.KINDS)
def test_each_disguise_keeps_the_numbers(kind, answers, tmp_path):
    changed = 0
    for key, found in answers.items():
        answer, disguised = _changed_by(kind, found)
        changed += (disguised.body, disguised.module) != (answer.body, answer.module)
        assert corpus.differences(_numbers(answer, tmp_path / 'a'), _numbers(disguised, tmp_path / 'b')) == [], (
            key, answer.style, disguised.body)
        for folder in ('a', 'b'):
            for name in corpus.FILES:
                os.remove(tmp_path / folder / name)
    assert changed >= 5, changed


def test_the_check_sees_a_disguise_that_changes_the_numbers(answers, tmp_path):
    answer = next(a for a in answers[('criterion.py', 'EuclideanLossLayer.backward')] if a.style == 'divide')
    broken = answer._replace(body=answer.body.replace('/', '*'))
    assert corpus.differences(_numbers(answer, tmp_path / 'a'), _numbers(broken, tmp_path / 'b'))


def test_a_corpus_is_reproducible_and_its_honest_students_differ(tmp_path):
    kinds = ('verbatim', 'heavy', 'one_file')
    truth = disguises.build_corpus(str(tmp_path / 'one'), honest=6, copies=1, kinds=kinds)
    again = disguises.build_corpus(str(tmp_path / 'two'), honest=6, copies=1, kinds=kinds, check=False)
    assert truth == again and len(truth['names']) == 9 and [c[2] for c in truth['copied']] == list(kinds)
    assert len({c[0] for c in truth['copied']}) == len(kinds)   # each victim copied once
    subs = tmp_path / 'one' / 'subs'
    assert not filecmp.dircmp(subs, tmp_path / 'two' / 'subs').diff_files
    victim, verbatim = truth['copied'][0][:2]
    assert all(filecmp.cmp(subs / victim / f, subs / verbatim / f, shallow=False) for f in corpus.FILES)
    honest = sorted(set(truth['names']) - {c[1] for c in truth['copied']})
    texts = {(subs / name / 'layers.py').read_text() for name in honest}
    assert len(texts) == len(honest)
    victim, copy, _, file = truth['copied'][2]
    assert (subs / copy / file).read_text() != (subs / victim / file).read_text()


@pytest.mark.slow
def test_the_detector_meets_the_issues_acceptance_on_the_corpus(tmp_path):
    """Issue 26: every disguised copy above every honest pair, no honest pair flagged, every copy flagged
    (the heavy ones and one file of three included), and a one-file copy's evidence names its file."""
    truth = disguises.build_corpus(str(tmp_path / 'corpus'), honest=50, copies=3, seed=1, check=False)
    subs = [str(tmp_path / 'corpus' / 'subs' / name) for name in truth['names']]
    subprocess.run([sys.executable, '-m', 'teacher.similarity', *subs, '--case', '2', '--out', str(tmp_path / 'out')],
                   cwd=corpus.ROOT, check=True, capture_output=True)
    with open(tmp_path / 'out' / 'similarity.csv', encoding='utf-8', newline='') as handle:
        rows = {frozenset((row['a'], row['b'])): row for row in csv.DictReader(handle)}
    copied = {frozenset(c[:2]): c for c in truth['copied']}
    honest = [row for pair, row in rows.items() if pair not in copied]
    assert len(rows) == len(subs) * (len(subs) - 1) // 2
    assert [row for row in honest if row['flagged'] == '1'] == []
    best_honest = max(float(row['score']) for row in honest)
    missed = [(kind, file, rows[pair]['score']) for pair, (_, _, kind, file) in copied.items()
              if float(rows[pair]['score']) <= best_honest or rows[pair]['flagged'] != '1']
    assert not missed, (best_honest, missed)
    for pair, (_, _, kind, file) in copied.items():
        if kind == 'one_file':
            assert file in rows[pair]['evidence']


def test_disguises_of_unusual_code_still_parse():
    """Students' code the fixtures do not hold: a number as np.max's first argument, a trailing comma, a
    backslash continuation, a name the function does not define."""
    body = 'm = np.max(0, Input)\nrows = np.sum(Input * Input, axis=1),\ntotal = 0.5 * \\\n    np.mean(rows)\n' \
           'self.output = 1 .real + m - total / len(rows) + undefined\nreturn self.output'
    answer = corpus.Answer('layers.py', 'ReLULayer.forward', 'odd', body, '', '')
    for kind in disguises.KINDS:
        for seed in range(3):
            disguised = disguises.disguise(answer, [kind], seed)
            compile(disguised.module + '\ndef f(self, Input):\n' + '\n'.join(
                '    ' + line for line in disguised.body.split('\n')), kind, 'exec')


def test_skew_makes_the_textbook_styles_popular(answers):
    key = ('layers.py', 'ReLULayer.backward')
    first = next(a.style for a in answers[key] if not a.wrong)
    uniform, skewed = (sum(s['picks'][key] == first for s in corpus.honest_students(200, 4, skew=skew))
                       for skew in (0.0, 1.5))
    assert uniform < 40 < skewed   # 1/13 of 200 (15) against 1 / Σ_i (i+1)^-1.5 ≈ 0.45 of 200 (89)
