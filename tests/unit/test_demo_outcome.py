"""The demo's headline figures (sftlab.demo.outcome) on hand-made memory summaries."""

import polars as pl
import pytest

from sftlab.demo.outcome import demo_outcome

LEVELS = ("0", "1", "2")


def rows(train_level, n, seed, testset, accuracies):
    out = [
        {"model": "demo", "train_level": train_level, "n": n, "seed": seed, "testset": testset,
         "test_level": level, "accuracy": acc}
        for level, acc in zip(LEVELS, accuracies, strict=True)
    ]  # fmt: skip
    macro = sum(accuracies) / len(accuracies)
    return [*out, {**out[0], "test_level": "macro", "accuracy": macro}]


def summary(ood_shift: float = 0.0) -> pl.DataFrame:
    data = rows("base", "0", 0, "in", (0.0, 0.0, 0.3)) + rows("base", "0", 0, "ood", (0, 0, 0.15))
    for seed, noise in ((0, 0.02), (1, -0.02)):
        data += rows("0", "20", seed, "in", (0.2 + noise, 0.3, 0.4))
        data += rows("1", "20", seed, "in", (0.1, 0.5 + noise, 0.5))
        data += rows("2", "20", seed, "in", (0.0, 0.3, 0.9 + noise))
        data += rows("2", "20", seed, "ood", (0.1 + ood_shift, 0.2, 0.6))
        data += rows("0", "20", seed, "ood", (0.0, 0.1, 0.2))
    return pl.DataFrame(data)


def test_figures_best_arms_and_diagonal():
    out = demo_outcome(summary(), {"spearman": 0.93}, "demo")
    assert out["base_macro"] == {"in": 0.1, "ood": 0.05}
    assert out["best_trained"]["in"] == {"arm": "L2_n20", "macro": 0.4, "seeds": 2}
    assert out["best_trained"]["ood"]["arm"] == "L2_n20"
    assert out["best_trained"]["ood"]["macro"] == pytest.approx(0.3)
    assert out["ood_gain_over_base"] == pytest.approx(0.25)
    diag = out["diagonal_in_domain"]["20"]
    assert diag["own_level_best"] == ["0", "1", "2"] and diag["margin"] > 0.1
    assert out["passes"] and all(out["checks"].values())


def test_each_bar_fails_on_its_own():
    weak = demo_outcome(summary(ood_shift=-0.1), {"spearman": 0.85}, "demo")
    assert weak["checks"] == {
        "ood_gain": True,  # 0.267 >= 0.05 + 0.10
        "ood_floor": True,
        "in_domain_floor": True,
        "diagonal": True,
        "spearman": False,
    }
    flat = summary().with_columns(
        accuracy=pl.when(pl.col("testset") == "in").then(0.2).otherwise(pl.col("accuracy"))
    )
    out = demo_outcome(flat, {"spearman": 0.95}, "demo")
    assert not out["checks"]["in_domain_floor"] and not out["checks"]["diagonal"]
    assert out["checks"]["ood_floor"] and not out["passes"]


def test_a_run_without_trained_arms_fails_instead_of_raising():
    base_only = summary().filter(pl.col("train_level") == "base")
    out = demo_outcome(base_only, {}, "demo")
    assert out["best_trained"] == {"in": None, "ood": None} and out["diagonal_in_domain"] == {}
    assert not any(out["checks"].values())
