"""The project's similarity report against the tools teachers use today, on one corpus, side by side.

    python bench/compare_similarity.py                       # the project's corpus: 60 honest, 45 copies
    python bench/compare_similarity.py --corpus DIR          # another corpus: DIR/release, DIR/subs/*, DIR/truth.json

The corpus (tests/similarity_disguise.py's build_corpus): honest case-2 students assembled from the answers
in tests/fixtures/similarity/, and copies of some of them, 3 per kind of disguise (each of another honest
student). The tools, each on the same submissions:
- project: `python -m teacher.similarity SUB... --case 2 --out DIR`, its score and its own flag;
- copydetect (PyPI), the release as its boilerplate: each submission's three case files as one file
  (`copydetect`), and file by file as a teacher runs it on the folders (`copydetect files`: same-name
  files only, the pair's score its most similar file); flagged above its display threshold, 0.33;
- Dolos (@dodona/dolos-lib, bench/dolos/analyze.mjs): `Dolos.analyzePaths(files, template)`, each
  submission's three files as one file and the release's as the template (`dolos`), and without the
  template (`dolos no template`); flagged at its web view's default cut-off, 0.75 (the view then moves
  it to a value it guesses from the spread of the scores; that guess is not reproduced here).
Printed: ROC AUC over every pair (copied pairs against honest ones, ties counted half), precision and
recall at each tool's threshold, recall per kind of disguise (and, for the heavy and one-file copies, how many
rank above every honest pair: recall at a threshold that flags most of the class says little), and where the
worst-ranked copied pair stands against the best-ranked honest pair.
"""
import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [HERE, os.path.join(HERE, 'tests')]
from similarity_corpus import FILES  # noqa: E402
from similarity_disguise import build_corpus  # noqa: E402

DOLOS = os.path.join(HERE, 'bench', 'dolos')
THRESHOLDS = {'copydetect': 0.33, 'dolos': 0.75}


def corpus(args, work):
    """(release folder, {name: submission folder}, truth) of --corpus, or of a new corpus built in work."""
    folder = os.path.abspath(args.corpus or os.path.join(work, 'corpus'))
    if not args.corpus:
        truth = build_corpus(folder, honest=args.honest, copies=args.copies, seed=args.seed, skew=args.skew)
        with open(os.path.join(folder, 'truth.json'), 'w', encoding='utf-8') as handle:
            json.dump(truth, handle, indent=1)
    with open(os.path.join(folder, 'truth.json'), encoding='utf-8') as handle:
        truth = json.load(handle)
    subs = {name: os.path.join(folder, 'subs', name) for name in sorted(truth['names'])}
    return os.path.join(folder, 'release'), subs, truth


def joined(folders, out):
    """One file per folder, out/<name>.py, holding its case files one after the other; {path: name}."""
    os.makedirs(out)
    paths = {}
    for name, folder in folders.items():
        texts = []
        for file in FILES:
            if os.path.exists(os.path.join(folder, file)):
                with open(os.path.join(folder, file), encoding='utf-8') as handle:
                    texts.append(handle.read())
        path = os.path.join(out, name + '.py')
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write('\n\n'.join(texts))
        paths[path] = name
    return paths


def run_project(subs, release, work):
    out = os.path.join(work, 'project')
    subprocess.run([sys.executable, '-m', 'teacher.similarity', *subs.values(), '--case', '2', '--out', out],
                   cwd=HERE, check=True, stdout=subprocess.DEVNULL)
    import csv
    with open(os.path.join(out, 'similarity.csv'), encoding='utf-8', newline='') as handle:
        return {frozenset((row['a'], row['b'])): (float(row['score']), row['flagged'] == '1')
                for row in csv.DictReader(handle)}, 'its own flag (from the cohort)'


def _release_only(release, work):
    folder = os.path.join(work, 'boilerplate')
    os.makedirs(folder)
    for file in FILES:
        shutil.copyfile(os.path.join(release, file), os.path.join(folder, file))
    return folder


def run_copydetect(subs, release, work, by_file=False):
    from copydetect import CopyDetector
    boilerplate = _release_only(release, os.path.join(work, 'cd-files' if by_file else 'cd'))
    if by_file:
        dirs, same_name = list(subs.values()), True
        owner = {os.path.join(folder, file): name for name, folder in subs.items() for file in FILES}
    else:
        owner = joined(subs, os.path.join(work, 'cd', 'joined'))
        dirs, same_name = [os.path.join(work, 'cd', 'joined')], False
    detector = CopyDetector(test_dirs=dirs, ref_dirs=dirs, boilerplate_dirs=[boilerplate], extensions=['py'],
                            same_name_only=same_name, ignore_leaf=by_file, autoopen=False, silent=True,
                            display_t=THRESHOLDS['copydetect'])
    detector.run()
    pairs = {}
    for i, test in enumerate(detector.test_files):
        for j, ref in enumerate(detector.ref_files):
            a, b = owner.get(os.path.abspath(test)), owner.get(os.path.abspath(ref))
            if a and b and a != b:
                score = float(max(detector.similarity_matrix[i, j]))
                key = frozenset((a, b))
                pairs[key] = max(pairs.get(key, (0.0, False)), (score, score > THRESHOLDS['copydetect']))
    return pairs, f'display threshold {THRESHOLDS["copydetect"]}'


def run_dolos(subs, release, work, template=True):
    folder = os.path.join(work, 'dolos' if template else 'dolos-plain')
    paths = joined(subs, os.path.join(folder, 'subs'))
    template = next(iter(joined({'release': release}, os.path.join(folder, 'template')))) if template else '-'
    out = os.path.join(folder, 'dolos.json')
    subprocess.run(['node', os.path.join(DOLOS, 'analyze.mjs'), out, template, *paths], cwd=DOLOS, check=True,
                   stdout=subprocess.DEVNULL)
    with open(out, encoding='utf-8') as handle:
        found = json.load(handle)
    by_path = {os.path.abspath(p): n for p, n in paths.items()}
    return {frozenset((by_path[os.path.abspath(p['left'])], by_path[os.path.abspath(p['right'])])):
            (p['similarity'], p['similarity'] >= THRESHOLDS['dolos']) for p in found}, \
        f'cut-off {THRESHOLDS["dolos"]}'


TOOLS = {'project': run_project, 'copydetect': run_copydetect,
         'copydetect files': lambda subs, release, work: run_copydetect(subs, release, work, by_file=True),
         'dolos': run_dolos,
         'dolos no template': lambda subs, release, work: run_dolos(subs, release, work, template=False)}


def auc(positive, negative):
    """P(a copied pair scores above an honest pair), ties counted half (Mann-Whitney)."""
    scores = np.concatenate([positive, negative])
    order = scores.argsort(kind='stable')
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    for value in np.unique(scores):   # average ranks of ties
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    n, m = len(positive), len(negative)
    return (ranks[:n].sum() - n * (n + 1) / 2) / (n * m)


def measure(pairs, names, truth):
    """The figures of one tool: auc, precision, recall, recall per kind, the ranks."""
    copied = {frozenset(c[:2]): c[2] for c in truth['copied']}
    every = [frozenset(p) for p in itertools.combinations(names, 2)]
    score = {p: pairs.get(p, (0.0, False)) for p in every}
    positive = [score[p][0] for p in every if p in copied]
    negative = [score[p][0] for p in every if p not in copied]
    flagged = [p for p in every if score[p][1]]
    hits = [p for p in flagged if p in copied]
    ranking = sorted(every, key=lambda p: -score[p][0])
    worst_copy = max(i for i, p in enumerate(ranking, 1) if p in copied)
    best_honest = min(i for i, p in enumerate(ranking, 1) if p not in copied)
    kinds, above = {}, {}
    for pair, kind in copied.items():
        kinds.setdefault(kind, []).append(score[pair][1])
        above.setdefault(kind, []).append(score[pair][0] > max(negative))
    return {'auc': auc(np.array(positive), np.array(negative)), 'flagged': len(flagged), 'hits': len(hits),
            'honest flagged': len(flagged) - len(hits), 'copies': len(copied), 'honest pairs': len(negative),
            'precision': len(hits) / len(flagged) if flagged else float('nan'), 'recall': len(hits) / len(copied),
            'worst copy rank': worst_copy, 'best honest rank': best_honest,
            'copies above every honest pair': sum(s > max(negative) for s in positive),
            'kinds': {k: (sum(v), len(v)) for k, v in kinds.items()},
            'above': {k: (sum(v), len(v)) for k, v in above.items()}}


def table(results, truth):
    tools = list(results)
    lines = ['| | ' + ' | '.join(tools) + ' |', '|---|' + '---|' * len(tools)]

    def row(label, cell):
        lines.append(f'| {label} | ' + ' | '.join(cell(results[t]) for t in tools) + ' |')
    row('threshold', lambda r: r['threshold'])
    row('ROC AUC', lambda r: f'{r["auc"]:.4f}')
    row('precision at the threshold', lambda r: f'{r["precision"]:.2f} ({r["hits"]}/{r["flagged"]})')
    row('recall at the threshold', lambda r: f'{r["recall"]:.2f} ({r["hits"]}/{r["copies"]})')
    row('honest pairs flagged', lambda r: f'{r["honest flagged"]} of {r["honest pairs"]}')
    row('worst copy\'s rank / best honest pair\'s rank', lambda r: f'{r["worst copy rank"]} / {r["best honest rank"]}')
    row('copies above every honest pair', lambda r: f'{r["copies above every honest pair"]} of {r["copies"]}')
    row('seconds', lambda r: f'{r["seconds"]:.1f}')
    kinds = list(dict.fromkeys(c[2] for c in truth['copied']))
    for kind in kinds:
        row(f'recall: {kind}', lambda r, k=kind: '{}/{}'.format(*r['kinds'][k]))
    for kind in [k for k in ('heavy', 'one_file') if k in kinds]:
        row(f'above every honest pair: {kind}', lambda r, k=kind: '{}/{}'.format(*r['above'][k]))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--corpus', help='a corpus folder (release/, subs/, truth.json) instead of a new one')
    parser.add_argument('--honest', type=int, default=60, help='honest students of a new corpus (default 60)')
    parser.add_argument('--copies', type=int, default=3, help='copies per kind of disguise (default 3)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--skew', type=float, default=0.0,
                        help='popular styles: the i-th style of a TODO drawn with weight 1/(i+1)^skew '
                             '(default 0: uniform)')
    parser.add_argument('--tools', default=','.join(TOOLS), help=f'comma-separated, of {", ".join(TOOLS)}')
    parser.add_argument('--keep', metavar='DIR', help='work in DIR (kept) instead of a temporary folder')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='compare-similarity-') as temporary:
        work = os.path.abspath(args.keep or temporary)
        os.makedirs(work, exist_ok=True)
        release, subs, truth = corpus(args, work)
        copies = len({c[1] for c in truth['copied']})
        print(f'corpus: {len(subs)} submissions ({len(subs) - copies} honest, {copies} copies; '
              f'{len(truth["copied"])} copied pairs), {len(subs) * (len(subs) - 1) // 2} pairs')
        results = {}
        for tool in args.tools.split(','):
            start = time.monotonic()
            pairs, threshold = TOOLS[tool](subs, release, work)
            results[tool] = {**measure(pairs, list(subs), truth), 'threshold': threshold,
                             'seconds': time.monotonic() - start}
            print(f'{tool}: done in {results[tool]["seconds"]:.1f} s', flush=True)
        print(table(results, truth))


if __name__ == '__main__':
    main()
