"""Paired statistics for per-item accuracy comparisons of two fine-tunes on the same test items.

Every function takes plain arrays: `base` and `arm` are 0/1 correctness vectors over the same items
in the same order (one row per item), or matrices of shape (seeds, items) when several seeds are
paired seed by seed. Nothing here knows about files or Snakemake.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps


def _as_seed_matrix(values) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"expected items or (seeds, items), got shape {array.shape}")
    return array


def paired_differences(base, arm) -> np.ndarray:
    """Per-item difference arm - base, averaged over seeds paired seed by seed."""
    base, arm = _as_seed_matrix(base), _as_seed_matrix(arm)
    if base.shape != arm.shape:
        raise ValueError(f"base {base.shape} and arm {arm.shape} are not paired")
    return (arm - base).mean(axis=0)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def paired_bootstrap_ci(
    base, arm, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> Interval:
    """Percentile bootstrap CI of the accuracy delta, resampling items (pairs stay together).

    With several seeds, an item's difference is first averaged over seeds, so the seeds of one item
    are resampled together: the test items are the unit of sampling, as they are in the paper's
    claims.
    """
    diffs = paired_differences(base, arm)
    estimate = float(diffs.mean()) if diffs.size else float("nan")
    if diffs.size == 0:
        return Interval(estimate, float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    # (n_boot, n) indices in one draw: 2000 x 1534 items (the largest subject) is 25 MB
    idx = rng.integers(0, diffs.size, size=(n_boot, diffs.size))
    means = diffs[idx].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return Interval(estimate, float(low), float(high))


@dataclass(frozen=True)
class McNemar:
    b: int  # base correct, arm wrong
    c: int  # base wrong, arm correct
    p_exact: float
    p_mid: float


def mcnemar(base, arm) -> McNemar:
    """Exact (binomial) two-sided McNemar test and its mid-p variant.

    Discordant pairs are pooled over seeds (each seed pairs its own base and arm runs); under the
    null each discordant pair is a fair coin. The mid-p value is less conservative at the small
    counts of one MMLU subject (global_facts has 100 items) and keeps close to nominal size.
    """
    base, arm = _as_seed_matrix(base), _as_seed_matrix(arm)
    if base.shape != arm.shape:
        raise ValueError(f"base {base.shape} and arm {arm.shape} are not paired")
    b = int(((base == 1) & (arm == 0)).sum())
    c = int(((base == 0) & (arm == 1)).sum())
    return McNemar(b, c, *mcnemar_from_counts(b, c))


def mcnemar_from_counts(b: int, c: int) -> tuple[float, float]:
    """(exact two-sided p, mid-p) from the two discordant counts."""
    n = b + c
    if n == 0:
        return 1.0, 1.0
    k = min(b, c)
    tail = float(sps.binom.cdf(k, n, 0.5))
    p_exact = min(1.0, 2.0 * tail)
    p_mid = min(1.0, 2.0 * (tail - 0.5 * float(sps.binom.pmf(k, n, 0.5))))
    return p_exact, p_mid


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
class VarianceShares:
    subject: float
    rule: float
    residual: float
    n_subjects: int
    n_rules: int


def variance_decomposition(table) -> VarianceShares:
    """Two-way decomposition of a complete (subjects x rules) table of deltas, no replication.

    Shares of the total sum of squares explained by the subject main effect and by the rule main
    effect; the residual is the subject x rule interaction. A large subject share is the paper's
    "consistency": within a subject, different rules move accuracy the same way.
    """
    x = np.asarray(table, dtype=float)
    if x.ndim != 2 or np.isnan(x).any():
        raise ValueError("need a complete 2-D table (drop incomplete rows first)")
    n_subjects, n_rules = x.shape
    grand = x.mean()
    total = float(((x - grand) ** 2).sum())
    ss_subject = float(n_rules * ((x.mean(axis=1) - grand) ** 2).sum())
    ss_rule = float(n_subjects * ((x.mean(axis=0) - grand) ** 2).sum())
    if total == 0.0:
        return VarianceShares(float("nan"), float("nan"), float("nan"), n_subjects, n_rules)
    residual = max(total - ss_subject - ss_rule, 0.0)
    return VarianceShares(
        ss_subject / total, ss_rule / total, residual / total, n_subjects, n_rules
    )
