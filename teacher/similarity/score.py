"""Scores of every pair at once: fingerprints weighed by their rarity, shared weight by sparse products.

The weight of a fingerprint held by df of the n documents (the cohort's submissions and the
references) is w = max(0, ln(n / (2·df))): what half the class wrote is worth nothing, what one pair
shares is worth most (the log of how unlikely it is to be shared by chance). A document's fingerprints
are scaled by s = 1/√(its function's count of fingerprints), so that each function counts alike however
long its expressions. The evidence that a and b share is

    E(a, b) = Σ_{f ∈ a ∩ b} w_f · s_af · s_bf        (a function written alike adds the mean rarity of its parts)

a sum over functions of how unlikely their sharing is by chance (≈ a log-likelihood ratio). A pair's
score for one file (compared by tokens when either side cannot be parsed), and for the whole submission
with the behaviour (wrong outputs shared, each weighing half a function), is

    cosine(a, b) · (1 - exp(-E(a, b) / λ)),  cosine(a, b) = E(a, b) / √(E(a, a) · E(b, b)),  λ = EVIDENCE · ln P

how much of what they wrote they share, times how sure the shared part makes it: a file with one short
TODO that two students happened to write alike cannot reach a high score, a file copied whole can. Among
P pairs the closest honest pair shares about ln P nats by chance, so λ grows with ln P. The
pair's score is the highest of the whole's and each file's, so one file copied of three is seen.
Only fingerprints held by two or more documents can be shared: those columns form a dense (n × k)
matrix whose product with its transpose gives every pair's evidence in one BLAS call.

The flag threshold comes from the cohort's own spread: each submission's second-best score (a copy has
one source, so its second-best match, like an honest submission's best, is chance), then median + k · MAD
(scaled to a standard deviation), k = 1 + √(2 ln P) (the largest of P chance scores lies about √(2 ln P)
deviations out), kept within [FLOOR, CEILING]: an easy TODO that many solved alike raises the median and
does not flag a class; a class full of copies still has honest second-best scores.
"""
import numpy as np

EVIDENCE = 0.6   # λ per nat of ln(pairs): among P pairs, chance alone makes a pair e^(ln P) = P times rarer
FLOOR, CEILING = 0.45, 0.9


def weights(prints, n):
    """(sorted unique fingerprints, their weights, their document counts) of the documents' `prints`
    (a list of arrays of uint64, each without repeats)."""
    every = np.concatenate(prints) if prints else np.zeros(0, np.uint64)
    unique, counts = np.unique(every, return_counts=True)
    return unique, np.maximum(0.0, np.log(n / (2.0 * counts))), counts


def shared(prints, scales, unique, weight, counts):
    """((n × n) evidence E(a, b) of one channel (see the module's docstring), (n,) each document's E(a, a));
    prints as for `weights`, scales: each fingerprint's s in its document."""
    n = len(prints)
    totals = np.zeros(n)
    shared_columns = np.flatnonzero((counts >= 2) & (weight > 0))
    column = np.full(len(unique), -1, np.int64)
    column[shared_columns] = np.arange(len(shared_columns))
    matrix = np.zeros((n, len(shared_columns)), np.float32)
    for i, (doc, scale) in enumerate(zip(prints, scales)):
        if len(doc):
            where = np.searchsorted(unique, doc)
            value = np.sqrt(weight[where]) * scale
            totals[i] = np.sum(value ** 2)
            kept = column[where] >= 0
            matrix[i, column[where][kept]] = value[kept]
    return (matrix @ matrix.T).astype(np.float64), totals


def evidence_scale(pairs):
    """λ, the nats of shared rarity for a confident match among `pairs` pairs: EVIDENCE · ln(pairs), at
    least EVIDENCE · ln 10. The more pairs, the more alike the closest honest pair by chance."""
    return EVIDENCE * np.log(max(pairs, 10))


def pair_score(common, own, scale):
    """cosine × (1 - exp(-E / λ)) of each pair: common (n × n) their E(a, b), own (n × n) row i
    document i's E(i, i) (see the module's docstring), scale λ (evidence_scale)."""
    norm = np.sqrt(own * own.T)
    cosine = np.divide(common, norm, out=np.zeros_like(common), where=norm > 0)
    return np.clip(cosine, 0.0, 1.0) * (1.0 - np.exp(-np.maximum(common, 0.0) / scale))


def threshold(scores, students, pairs):
    """(threshold, how it was set) from the (n × n) pair scores of the cohort; `students`: their indices
    (the references are not a cohort's), `pairs`: how many pairs were compared."""
    if len(students) < 4:
        return CEILING, f'{CEILING:g}, the ceiling: too few submissions ({len(students)}) for a spread'
    others = scores[list(students)].copy()
    others[np.arange(len(students)), list(students)] = -np.inf
    second = np.sort(others, axis=1)[:, -2]     # a copy has one source: its second-best match is chance
    median = float(np.median(second))
    mad = 1.4826 * float(np.median(np.abs(second - median)))
    k = 1 + np.sqrt(2 * np.log(max(pairs, 2)))
    value = float(np.clip(median + k * mad, FLOOR, CEILING))
    return value, (f'{value:.3f} = median {median:.3f} + {k:.2f} × MAD {mad:.3f} of each submission\'s '
                   f'second-best score, kept within [{FLOOR:g}, {CEILING:g}]')
