"""Scores of every pair at once: fingerprints weighed by their rarity, shared weight by sparse products.

The weight of a fingerprint held by df of the n documents (the cohort's submissions and the
references) is w = max(0, ln(n / (2·df))): what half the class wrote is worth nothing, what one pair
shares is worth most. Per channel (a file's code, its tokens, the behaviour), each document is a vector
of the weights of the fingerprints it holds, each scaled by 1/√(its function's count of fingerprints)
so that every function the student wrote counts alike, however long its expressions, and a pair's
score is their cosine, shrunk for documents that hold little:

    cosine(a, b) = Σ_{f ∈ a ∩ b} w_f² / √((A + m)(B + m)),   A = Σ_{f ∈ a} w_f²

A pair's score is the larger of its whole submissions' cosine (m = SHRINK_WHOLE · the median
submission's A) and each file's (m = SHRINK_FILE · the same median): a file alone counts in full only
when it holds a good share of what a student writes, so one file copied of three is seen, and a small
file where two students wrote the same two rare lines cannot reach a high score on its own. Only
fingerprints held by two or more documents can be shared: those columns form a dense (n × k) matrix
whose product with its transpose gives every pair's shared weight in one BLAS call.

The flag threshold comes from the cohort's own spread: each submission's best score against any other
(its top score), then median + K · MAD (scaled to a standard deviation), kept within [FLOOR, CEILING],
so an easy TODO that many solved alike does not flag a class, and a class full of copies still flags.
"""
import numpy as np

SHRINK_WHOLE, SHRINK_FILE = 0.05, 0.25
K = 4.0
FLOOR, CEILING = 0.35, 0.6


def weights(prints, n):
    """(sorted unique fingerprints, their weights, their document counts) of the documents' `prints`
    (a list of arrays of uint64, each without repeats)."""
    every = np.concatenate(prints) if prints else np.zeros(0, np.uint64)
    unique, counts = np.unique(every, return_counts=True)
    return unique, np.maximum(0.0, np.log(n / (2.0 * counts))), counts


def shared(prints, scales, unique, weight, counts):
    """((n × n) shared weight Σ_{f ∈ a ∩ b} w_f s_af · w_f s_bf, (n,) each document's Σ_{f ∈ a} (w_f s_af)²)
    of one channel; prints as for `weights`, scales: each fingerprint's factor in its document."""
    n = len(prints)
    totals = np.zeros(n)
    shared_columns = np.flatnonzero((counts >= 2) & (weight > 0))
    column = np.full(len(unique), -1, np.int64)
    column[shared_columns] = np.arange(len(shared_columns))
    matrix = np.zeros((n, len(shared_columns)), np.float32)
    for i, (doc, scale) in enumerate(zip(prints, scales)):
        if len(doc):
            where = np.searchsorted(unique, doc)
            value = weight[where] * scale
            totals[i] = np.sum(value ** 2)
            kept = column[where] >= 0
            matrix[i, column[where][kept]] = value[kept]
    return (matrix @ matrix.T).astype(np.float64), totals


def cosine(common, mass_a, mass_b, m):
    """Shared weight over √((A + m)(B + m)), within [0, 1] (arrays broadcast)."""
    return np.clip(common / np.sqrt((mass_a + m) * (mass_b + m)), 0.0, 1.0)


def threshold(scores, students):
    """(threshold, how it was set) from the (n × n) pair scores of the cohort; `students`: their indices
    (the references are not a cohort's)."""
    others = scores.copy()
    np.fill_diagonal(others, 0.0)
    top = others[list(students)].max(axis=1) if len(scores) > 1 else np.zeros(len(students))
    if len(top) < 3:
        return CEILING, f'{CEILING:g}, the ceiling: {len(top)} submissions are too few for a spread'
    median = float(np.median(top))
    mad = 1.4826 * float(np.median(np.abs(top - median)))
    value = float(np.clip(median + K * mad, FLOOR, CEILING))
    return value, (f'{value:.3f} = median {median:.3f} + {K:g} × MAD {mad:.3f} of each submission\'s top score, '
                   f'kept within [{FLOOR:g}, {CEILING:g}]')
