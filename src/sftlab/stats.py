"""Seed-aware statistics for per-item accuracy comparisons of fine-tunes on the same test items.

Every function takes plain arrays: `plain` and `arm` are 0/1 correctness matrices of shape
(seeds, items), one row per training seed (run), columns the same test items in the same order; a
1-D vector is one seed. Nothing here knows about files or Snakemake.

Why seeds matter: a fine-tune's accuracy on a subject moves from seed to seed (a run-level shift
shared by all items of the subject), so items of one run are not independent draws. A test that
resamples or flips items only, or pools the items of several seeds, treats that shift as a rule
effect; its false-positive rate grows with the seed noise (19 % at alpha 0.05 for a logit sd of
0.3 in `python -m sftlab.silly.calibration`). Tests here take their variance from the spread of the
runs when every arm has two or more seeds, and say when they cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

SEED_TEST = "welch t over run accuracies"
ITEM_TEST = "sign-flip over items (seed variance not estimated)"


def as_seed_matrix(values) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"expected items or (seeds, items), got shape {array.shape}")
    return array


def _pair(plain, arm) -> tuple[np.ndarray, np.ndarray]:
    plain, arm = as_seed_matrix(plain), as_seed_matrix(arm)
    if plain.shape[1] != arm.shape[1]:
        raise ValueError(f"plain {plain.shape} and arm {arm.shape} are not on the same items")
    return plain, arm


def item_differences(plain, arm) -> np.ndarray:
    """Per-item difference: the arm's mean over its seeds minus plain's mean over its seeds."""
    plain, arm = _pair(plain, arm)
    return arm.mean(axis=0) - plain.mean(axis=0)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def two_stage_bootstrap_ci(
    plain, arm, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> Interval:
    """Percentile CI of the accuracy delta, resampling seeds (per arm) and then items.

    Each resample draws the seeds of plain and of the arm with replacement, then the test items
    with replacement (an item keeps its pairing across arms). With one seed per arm only the items
    vary, so the interval ignores seed-to-seed variation; with few seeds the seed stage covers
    (S-1)/S of it, so read the CI as approximate and take significance from `delta_test`.
    """
    plain, arm = _pair(plain, arm)
    estimate = float(arm.mean() - plain.mean()) if arm.size else float("nan")
    if arm.shape[1] == 0:
        return Interval(estimate, float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    n = arm.shape[1]
    # (n_boot, seeds, items) of floats: 2000 x 3 x 1534 items (largest subject) is ~74 MB
    arm_runs = arm[rng.integers(0, arm.shape[0], size=(n_boot, arm.shape[0]))].mean(axis=1)
    plain_runs = plain[rng.integers(0, plain.shape[0], size=(n_boot, plain.shape[0]))].mean(axis=1)
    items = rng.integers(0, n, size=(n_boot, n))
    means = np.take_along_axis(arm_runs - plain_runs, items, axis=1).mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return Interval(estimate, float(low), float(high))


@dataclass(frozen=True)
class DeltaTest:
    p: float
    test: str  # SEED_TEST or ITEM_TEST
    seed_variance: bool  # whether the p-value accounts for seed-to-seed variation


def delta_test(plain, arm, n_flips: int = 2000, seed: int = 0) -> DeltaTest:
    """Two-sided test of a zero accuracy delta.

    Two or more seeds in both arms: Welch's t-test on the runs' accuracies (each run's accuracy
    over the same items), so the seed-to-seed spread, item noise included, is the error term.
    Otherwise: a Monte Carlo sign-flip test of the seed-averaged item differences, valid only if
    runs do not shift by seed; the result says so (`seed_variance` False). With one seed each it
    equals the exact McNemar test up to Monte Carlo error.
    """
    plain, arm = _pair(plain, arm)
    if plain.shape[0] >= 2 and arm.shape[0] >= 2:
        return DeltaTest(welch_p(arm.mean(axis=1), plain.mean(axis=1)), SEED_TEST, True)
    return DeltaTest(sign_flip_p(item_differences(plain, arm), n_flips, seed), ITEM_TEST, False)


def welch_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided p of Welch's t-test of equal means (scipy's ttest_ind is 10x slower per call)."""
    vx, vy = np.var(x, ddof=1) / x.size, np.var(y, ddof=1) / y.size
    diff = float(x.mean() - y.mean())
    if vx + vy == 0:  # identical runs: no spread to test with
        return 1.0 if diff == 0 else 0.0
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    return float(2 * sps.t.sf(abs(diff) / np.sqrt(vx + vy), df))


def sign_flip_p(diffs, n_flips: int = 2000, seed: int = 0) -> float:
    """Two-sided p of mean(diffs) = 0 under random signs of the item differences.

    When every nonzero difference has the same size (one seed per arm: +-1) the null is binomial and
    p is exact (the exact McNemar test); otherwise Monte Carlo, (1 + hits) / (1 + flips).
    """
    diffs = np.asarray(diffs, dtype=float)
    nonzero = diffs[diffs != 0]
    if nonzero.size == 0:
        return 1.0
    if np.all(np.abs(nonzero) == abs(nonzero[0])):
        k = int(min((nonzero > 0).sum(), (nonzero < 0).sum()))
        return min(1.0, 2.0 * float(sps.binom.cdf(k, nonzero.size, 0.5)))
    observed = abs(nonzero.sum())
    rng = np.random.default_rng(seed)
    signs = rng.integers(0, 2, size=(n_flips, nonzero.size)) * 2 - 1
    hits = int((np.abs(signs @ nonzero) >= observed - 1e-12).sum())
    return (1 + hits) / (1 + n_flips)


def benjamini_hochberg(pvalues) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN entries stay NaN and are not counted."""
    p = np.asarray(pvalues, dtype=float)
    q = np.full_like(p, np.nan)
    valid = ~np.isnan(p)
    m = int(valid.sum())
    if m == 0:
        return q
    pv = p[valid]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.clip(ranked, 0.0, 1.0)
    q[valid] = adjusted
    return q


@dataclass(frozen=True)
class Consistency:
    statistic: (
        float  # mean cross-half correlation of rule deltas; 0 in expectation if rules are inert
    )
    p: float  # one-sided permutation p (subjects shuffled per rule)
    pairwise: np.ndarray  # (rules, rules) cross-half correlations, NaN diagonal


def _standardised(x: np.ndarray) -> np.ndarray:
    """Columns (axis -1) centred over subjects (axis -2) and scaled to unit sample variance."""
    x = x - x.mean(axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / np.sqrt((x**2).sum(axis=-2, keepdims=True) / (x.shape[-2] - 1))


def _cross_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., rules, rules) correlations over subjects of the columns of a with the columns of b."""
    return np.swapaxes(_standardised(a), -1, -2) @ _standardised(b) / (a.shape[-2] - 1)


def _mean_off_diagonal(matrix: np.ndarray) -> np.ndarray:
    rules = matrix.shape[-1]
    total = matrix.sum(axis=(-1, -2)) - np.trace(matrix, axis1=-2, axis2=-1)
    return total / (rules * (rules - 1))


def rule_consistency(half_a, half_b, n_perm: int = 999, seed: int = 0) -> Consistency:
    """Do rules move the same subjects the same way, beyond what the shared baseline makes up?

    Inputs are (subjects, rules) tables of deltas against two independent halves of the baseline
    (disjoint plain seeds, or disjoint items). Every rule delta against the same baseline shares
    its noise, so such deltas correlate (about 1/2) even when no rule does anything. Here rule r's
    delta against half A meets rule r''s delta against half B: they share no run, so their
    correlation over subjects is zero in expectation unless the rules share a subject effect. The
    statistic is the mean of those correlations over all ordered pairs of different rules
    (`cross_half_correlation`); p is the share of `n_perm` shuffles of the subjects, independently
    per rule, that reach it.
    """
    a, b = (np.asarray(x, dtype=float) for x in (half_a, half_b))
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(
            f"need two (subjects, rules) tables of one shape, got {a.shape}, {b.shape}"
        )
    subjects, rules = a.shape
    if subjects < 3 or rules < 2 or np.isnan(a).any() or np.isnan(b).any():
        raise ValueError(f"need >= 3 subjects and >= 2 rules without gaps, got {a.shape}")
    observed = float(_mean_off_diagonal(_cross_corr(a, b)))
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((n_perm, subjects, rules)), axis=1)
    shuffled = (np.take_along_axis(x[None], order, axis=1) for x in (a, b))
    null = _mean_off_diagonal(_cross_corr(*shuffled))
    p = (1 + int((null >= observed - 1e-12).sum())) / (1 + n_perm)
    return Consistency(observed, p, cross_half_correlation(a, b))


def cross_half_correlation(half_a, half_b) -> np.ndarray:
    """(rules, rules): correlation over subjects of rule r's deltas against half A with rule r''s
    against half B, symmetrised; NaN diagonal. Unlike the correlation of deltas against the whole
    baseline, it is zero in expectation for rules that do nothing."""
    corr = _cross_corr(np.asarray(half_a, dtype=float), np.asarray(half_b, dtype=float))
    pairwise = (corr + corr.T) / 2
    np.fill_diagonal(pairwise, np.nan)
    return pairwise
