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
pair's score is the highest of the whole's and each file's, so one file copied of three is seen; a file's
score has F·P chances to be high by chance (F case files), so its λ is EVIDENCE · ln(F·P).
Only fingerprints held by two or more documents can be shared: those columns form a dense (n × k)
matrix whose product with its transpose gives every pair's evidence in one BLAS call.

The flag threshold comes from the spread of ALL the cohort's pair scores, where copies are a small
share (a group of 5 copies of one student is 10 pairs among thousands): on u = -ln(1 - score) (≈ E/λ for a
pair that shares all it wrote) the chance tail falls off about exponentially, P(u > x) ≈ e^(-x/β), so β is
read from the bulk, β = (u₉₀ - u₇₅) / ln 2.5 (the 75th and 90th percentiles), and extrapolated to where one
pair of P lies beyond it by chance: u* = u₉₀ + β · ln(P / 10). The threshold 1 - e^(-u*) is kept within
[FLOOR, CEILING]. An easy TODO that many solved alike raises the bulk and the threshold with it (and weighs
nothing anyway: what half the class wrote has weight 0); a group of copies, however large, is too small a
share of the pairs to move the 90th percentile much. (Each submission's second-best score, the earlier
statistic, rose to the ceiling when several students shared one source.)
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
    (the references are not a cohort's), `pairs`: how many pairs were compared (see the module's docstring)."""
    if len(students) < 4:
        return CEILING, f'{CEILING:g}, the ceiling: too few submissions ({len(students)}) for a spread'
    among = scores[np.ix_(students, students)][np.triu_indices(len(students), 1)]
    u = -np.log1p(-np.minimum(among, 1 - 1e-9))
    u75, u90 = np.quantile(u, [0.75, 0.9])
    beta = (u90 - u75) / np.log(2.5)
    value = float(np.clip(-np.expm1(-(u90 + beta * np.log(max(pairs, 10) / 10))), FLOOR, CEILING))
    return value, (f'{value:.3f}: the pair scores\' tail (u = -ln(1 - score), 90th percentile {u90:.3f}, '
                   f'decay {beta:.3f} from the 75th) extrapolated to 1 chance pair in {pairs}, '
                   f'kept within [{FLOOR:g}, {CEILING:g}]')
