"""A pair's evidence in words: which file, which functions, how much of them, how rare, what behaviour.

    criterion.py: 11 of 13 steps of `SoftmaxCrossEntropyLossLayer.backward` match after renaming;
    2 of them appear in no other submission; both return the same wrong delta from loss_gradient ...

A *step* is one value a function computes, in canonical form (extract.py, execute.py): a temporary
split in two or merged, a renamed variable or a reordered line leave the steps as they were.
"""
from dataclasses import dataclass

MAX_UNITS = 2     # functions named in one sentence


@dataclass
class Match:
    """What two documents share in one function."""
    file: str
    name: str
    shared: int        # steps in both
    total: int         # steps of the larger of the two
    unique: int        # shared steps no other document holds
    weight: float      # the shared fingerprints' weight


def matches(cohort, a, b, files=None):
    """[Match] of the functions of documents a and b (indices) that share steps, heaviest first."""
    da, db = cohort.docs[a], cohort.docs[b]
    found = []
    for key in da.units.keys() & db.units.keys():
        if files is not None and key[0] not in files:
            continue
        sa, sb = da.steps.get(key, {}), db.steps.get(key, {})
        shared = sa.keys() & sb.keys()
        prints = da.unit_prints[key] & db.unit_prints[key]
        weight = sum(cohort.weight.get(fp, 0.0) ** 2 for fp in prints)
        if shared or weight:
            unique = sum(cohort.counts.get(sa[s], 0) <= 2 for s in shared)
            found.append(Match(key[0], key[1], len(shared), max(len(sa), len(sb)), unique, weight))
    return sorted(found, key=lambda m: (-m.weight, -m.shared, m.name))


def sentence(cohort, a, b, detailed=True):
    """The evidence of the pair (a, b) in one sentence."""
    da, db = cohort.docs[a], cohort.docs[b]
    files = {f: float(m[a, b]) for f, m in cohort.files.items()}
    best = max(files, key=files.get) if files else ''
    parts = []
    if not files or files[best] <= 0:
        parts.append('nothing in common that fewer than half the submissions wrote')
    elif not detailed:
        parts.append(f'little in common: the closest file, {best}, scores {files[best]:.2f}')
    else:
        parts.append(_code_part(cohort, a, b, best, files[best]))
    parts += _behaviour_part(cohort, da, db)
    parts += [f'{d.name.removeprefix("reference:")}\'s {f} could not be parsed ({why}): compared by its tokens'
              for d in (da, db) for f, why in sorted(d.fallback.items())]
    if db.reference or da.reference:
        source = db if db.reference else da
        parts.append(f'source: the reference {source.source}')
    return '; '.join(parts)


def _code_part(cohort, a, b, best, value):
    if best in cohort.docs[a].fallback or best in cohort.docs[b].fallback:
        return f'{best} (score {value:.2f}): the same rare runs of tokens'
    found = matches(cohort, a, b, {best})[:MAX_UNITS]
    if not found:
        return f'{best} (score {value:.2f}): parts of expressions in common'
    said = [f'{best} (score {value:.2f}): ' + _unit_words(found[0], True)]
    said += [_unit_words(m, False) for m in found[1:]]
    return '; '.join(said)


def _unit_words(match, first):
    steps = f'{match.shared} of {match.total} step{"s" if match.total != 1 else ""}'
    words = f'{steps} of `{match.name}` match after renaming' if first else f'{steps} of `{match.name}`'
    if match.unique:
        words += (f', {match.unique} of them in no other submission' if not first
                  else f'; {match.unique} of them appear{"s" if match.unique == 1 else ""} in no other submission')
    return words


def _behaviour_part(cohort, da, db):
    """'both return the same wrong dx from activation_backward for the same input (test_a, test_b)',
    for the wrong outputs the two share that fewer than half the class share."""
    shared = [fp for fp in da.wrong.keys() & db.wrong.keys() if cohort.weight.get(fp, 0.0) > 0]
    tests = {}
    for fp in shared:
        what, _, test = da.wrong[fp].rpartition(' (')
        tests.setdefault(what, set()).add(test.rstrip(')'))
    return [f'both {what} ({", ".join(sorted(names))})' for what, names in sorted(tests.items())]
