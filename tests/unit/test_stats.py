import numpy as np
import pytest
from scipy import stats as sps

from sftlab import stats


def _pairs(b: int, c: int, both: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    base = [1] * b + [0] * c + [1] * both + [0] * neither
    arm = [0] * b + [1] * c + [1] * both + [0] * neither
    return np.array(base), np.array(arm)


def test_one_seed_sign_flip_is_the_exact_mcnemar_test():
    # b=10, c=2: P(X<=2 | n=12, 1/2) = (1 + 12 + 66) / 4096, two-sided
    base, arm = _pairs(b=10, c=2, both=30, neither=8)
    result = stats.delta_test(base, arm)
    assert result.p == pytest.approx(2 * 79 / 4096)
    assert (result.test, result.seed_variance) == (stats.ITEM_TEST, False)
    assert stats.delta_test(*_pairs(b=5, c=5, both=3, neither=0)).p == 1.0
    assert stats.sign_flip_p([0, 0, 0]) == 1.0


def test_monte_carlo_sign_flip():
    diffs = np.array([1.0, 0.5, 1.0, 0.5, 1.0, -0.5] * 5)
    p = stats.sign_flip_p(diffs, n_flips=4000, seed=3)
    assert p == stats.sign_flip_p(diffs, n_flips=4000, seed=3)
    assert 0 < p < 0.01
    assert stats.sign_flip_p(np.array([0.5, -0.5, 1.0, -1.0]), n_flips=500) > 0.9


def test_several_seeds_use_welch_over_runs():
    rng = np.random.default_rng(2)
    plain, arm = rng.integers(0, 2, (3, 50)), rng.integers(0, 2, (2, 50))
    result = stats.delta_test(plain, arm)
    assert (result.test, result.seed_variance) == (stats.SEED_TEST, True)
    expected = sps.ttest_ind(arm.mean(axis=1), plain.mean(axis=1), equal_var=False).pvalue
    assert result.p == pytest.approx(expected)
    same = np.ones((2, 4))
    assert stats.delta_test(same, same).p == 1.0


def _seed_noise_runs(rng, seeds: int, sd: float, n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Plain and arm runs on the same items with no true difference; each run shifts by seed."""
    logits = rng.normal(0.4, 1.0, n)

    def runs():
        shift = rng.normal(0.0, sd, (seeds, 1))
        return (rng.random((seeds, n)) < 1 / (1 + np.exp(-(logits + shift)))).astype(int)

    return runs(), runs()


def test_seed_noise_inflates_item_tests_but_not_the_seed_test():
    rng = np.random.default_rng(0)
    trials = 300
    seed_aware = item_only = 0
    for _ in range(trials):
        plain, arm = _seed_noise_runs(rng, seeds=3, sd=0.3)
        seed_aware += stats.delta_test(plain, arm).p < 0.05
        item_only += stats.sign_flip_p(stats.item_differences(plain, arm), n_flips=400) < 0.05
    assert seed_aware / trials <= 0.08
    assert item_only / trials >= 0.15  # what pooling or flipping items alone would report


def test_two_stage_bootstrap():
    rng = np.random.default_rng(1)
    plain, arm = _seed_noise_runs(rng, seeds=3, sd=0.5, n=300)
    first = stats.two_stage_bootstrap_ci(plain, arm, seed=7)
    assert first == stats.two_stage_bootstrap_ci(plain, arm, seed=7)
    assert first.low <= first.estimate <= first.high
    assert first.estimate == pytest.approx(arm.mean() - plain.mean())
    # a fixed seed shift of one arm's runs widens the interval only through the seed stage
    shifted = arm.copy()
    shifted[0] = 1
    wide = stats.two_stage_bootstrap_ci(plain, shifted, seed=7)
    items_only = stats.two_stage_bootstrap_ci(plain.mean(0), shifted.mean(0), seed=7)
    assert wide.high - wide.low > 1.5 * (items_only.high - items_only.low)
    with pytest.raises(ValueError, match="same items"):
        stats.two_stage_bootstrap_ci(plain, arm[:, :10])


def test_bootstrap_covers_truth():
    # Arm flips 25% of base errors to correct and 5% of base hits to wrong: true delta is known.
    rng = np.random.default_rng(0)
    n, p_base, up, down = 300, 0.6, 0.25, 0.05
    truth = (1 - p_base) * up - p_base * down
    covered = 0
    trials = 200
    for trial in range(trials):
        base = (rng.random(n) < p_base).astype(int)
        flip = rng.random(n)
        arm = np.where(base == 1, (flip >= down).astype(int), (flip < up).astype(int))
        ci = stats.two_stage_bootstrap_ci(base, arm, n_boot=1000, seed=trial)
        covered += ci.low <= truth <= ci.high
    assert 0.88 <= covered / trials <= 0.99


def _rule_deltas(rng, subjects: int, rules: int, shared_sd: float):
    """Deltas of rules against two independent plain halves, and against the whole plain."""
    effect = rng.normal(0.0, shared_sd, (subjects, 1))
    rule_noise = rng.normal(0.0, 1.0, (subjects, rules))
    half_a, half_b = rng.normal(0.0, 1.0, (2, subjects, 1)) * np.sqrt(2)
    plain = (half_a + half_b) / 2
    arm = effect + rule_noise
    return arm - half_a, arm - half_b, arm - plain


def test_consistency_is_zero_for_inert_rules_where_the_naive_share_is_not():
    rng = np.random.default_rng(0)
    statistics, naive = [], []
    for _ in range(200):
        a, b, full = _rule_deltas(rng, subjects=40, rules=8, shared_sd=0.0)
        statistics.append(stats.rule_consistency(a, b, n_perm=50).statistic)
        corr = np.corrcoef(full, rowvar=False)
        naive.append(corr[np.triu_indices(8, 1)].mean())
    assert abs(np.mean(statistics)) < 0.05  # 200 x 40 subjects: its standard error is ~0.02
    assert np.mean(naive) > 0.4  # the shared baseline's noise: correlation 1/2 with no effect


def test_consistency_detects_a_shared_subject_effect():
    rng = np.random.default_rng(1)
    a, b, _ = _rule_deltas(rng, subjects=40, rules=6, shared_sd=1.5)
    result = stats.rule_consistency(a, b, n_perm=999, seed=0)
    assert result.statistic > 0.25 and result.p < 0.01  # expected 2.25 / (2.25 + 3) = 0.43
    assert result.pairwise.shape == (6, 6) and np.isnan(np.diag(result.pairwise)).all()
    assert np.nanmean(result.pairwise) > 0.25
    with pytest.raises(ValueError, match="subjects"):
        stats.rule_consistency(a[:2], b[:2])


def test_benjamini_hochberg_known_vector():
    q = stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(q, [0.02, 0.04, 0.04, 0.02])
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "BH") -> all 0.05
    np.testing.assert_allclose(stats.benjamini_hochberg([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05] * 5)


def test_benjamini_hochberg_ignores_nan():
    q = stats.benjamini_hochberg([0.01, np.nan, 0.02])
    assert np.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2]], [0.02, 0.02])
