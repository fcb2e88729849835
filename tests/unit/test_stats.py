import numpy as np
import pytest

from sftlab import stats


def _pairs(b: int, c: int, both: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    base = [1] * b + [0] * c + [1] * both + [0] * neither
    arm = [0] * b + [1] * c + [1] * both + [0] * neither
    return np.array(base), np.array(arm)


def test_mcnemar_hand_table():
    # b=10, c=2: P(X<=2 | n=12, 1/2) = (1 + 12 + 66) / 4096; mid-p removes half of P(X=2) = 66/4096.
    base, arm = _pairs(b=10, c=2, both=30, neither=8)
    result = stats.mcnemar(base, arm)
    assert (result.b, result.c) == (10, 2)
    assert result.p_exact == pytest.approx(2 * 79 / 4096)
    assert result.p_mid == pytest.approx(2 * (79 - 33) / 4096)


def test_mcnemar_symmetric_and_degenerate():
    base, arm = _pairs(b=5, c=5, both=3, neither=0)
    assert stats.mcnemar(base, arm).p_exact == 1.0
    assert stats.mcnemar_from_counts(0, 0) == (1.0, 1.0)
    assert stats.mcnemar(arm, base).b == stats.mcnemar(base, arm).c


def test_mcnemar_pools_seeds():
    base1, arm1 = _pairs(b=4, c=1, both=5, neither=0)
    result = stats.mcnemar(np.stack([base1, base1]), np.stack([arm1, arm1]))
    assert (result.b, result.c) == (8, 2)


def test_benjamini_hochberg_known_vector():
    q = stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(q, [0.02, 0.04, 0.04, 0.02])
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "BH") -> all 0.05
    np.testing.assert_allclose(stats.benjamini_hochberg([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05] * 5)


def test_benjamini_hochberg_ignores_nan():
    q = stats.benjamini_hochberg([0.01, np.nan, 0.02])
    assert np.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2]], [0.02, 0.02])


def test_bootstrap_deterministic_for_seed():
    rng = np.random.default_rng(1)
    base, arm = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    first = stats.paired_bootstrap_ci(base, arm, seed=7)
    assert first == stats.paired_bootstrap_ci(base, arm, seed=7)
    assert first != stats.paired_bootstrap_ci(base, arm, seed=8)
    assert first.low <= first.estimate <= first.high


def test_bootstrap_covers_truth():
    # Arm flips 10% of base errors to correct and 5% of base hits to wrong: true delta is known.
    rng = np.random.default_rng(0)
    n, p_base, up, down = 300, 0.6, 0.25, 0.05
    truth = (1 - p_base) * up - p_base * down
    covered = 0
    trials = 200
    for trial in range(trials):
        base = (rng.random(n) < p_base).astype(int)
        flip = rng.random(n)
        arm = np.where(base == 1, (flip >= down).astype(int), (flip < up).astype(int))
        ci = stats.paired_bootstrap_ci(base, arm, n_boot=1000, seed=trial)
        covered += ci.low <= truth <= ci.high
    assert 0.88 <= covered / trials <= 0.99


def test_bootstrap_averages_seeds():
    base = np.array([[1, 0, 1, 0], [1, 1, 1, 0]])
    arm = np.array([[1, 1, 1, 0], [1, 1, 1, 1]])
    np.testing.assert_allclose(stats.paired_differences(base, arm), [0, 0.5, 0, 0.5])
    assert stats.paired_bootstrap_ci(base, arm).estimate == pytest.approx(0.25)
    with pytest.raises(ValueError):
        stats.paired_differences(base, arm[:, :3])


def test_variance_decomposition():
    subject_only = np.array([[1.0] * 4, [-1.0] * 4, [0.0] * 4])
    shares = stats.variance_decomposition(subject_only)
    assert shares.subject == pytest.approx(1.0)
    assert shares.rule == pytest.approx(0.0)
    additive = np.add.outer([0.0, 2.0, 4.0], [1.0, -1.0])
    shares = stats.variance_decomposition(additive)
    assert shares.subject + shares.rule == pytest.approx(1.0)
    assert shares.residual == pytest.approx(0.0)
    noise = np.random.default_rng(0).normal(size=(20, 8))
    shares = stats.variance_decomposition(noise)
    assert shares.subject + shares.rule + shares.residual == pytest.approx(1.0)
    with pytest.raises(ValueError):
        stats.variance_decomposition([[1.0, np.nan]])
