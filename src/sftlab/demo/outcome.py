"""What the default demo shows, in numbers: the memory study's headline figures against the bars
the demo is built to clear (issue 16 of sftlab).

Read from the memory summary (one row per run and test level, "macro" the mean over test levels)
and the R-vs-exposure validity check. An arm is a (training level, n) pair, its accuracy the mean
over seeds. The bars:

- out of domain, the best trained arm beats the base model by OOD_GAIN and reaches OOD_FLOOR: a few
  in-domain examples teach the question format, the knowledge of the other relations comes from
  pretraining (arXiv 2409.15825);
- in domain, the best trained arm reaches IN_DOMAIN_FLOOR;
- the in-domain train x test level heat map has its diagonal: per test level, training on the same
  level scores above the mean over training levels, on average (`diagonal_margin` > 0);
- the memory score R tracks the known exposure: Spearman >= SPEARMAN_FLOOR.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from sftlab.memory.summary import n_order

OOD_GAIN = 0.10
OOD_FLOOR = 0.15
IN_DOMAIN_FLOOR = 0.35
SPEARMAN_FLOOR = 0.9


def arm_means(summary: pl.DataFrame, model: str) -> pl.DataFrame:
    """Mean accuracy over seeds per (train_level, n, testset, test_level) of one model."""
    return (
        summary.filter(pl.col("model") == model)
        .group_by("train_level", "n", "testset", "test_level")
        .agg(pl.col("accuracy").mean(), pl.col("seed").n_unique().alias("seeds"))
    )


def best_arm(means: pl.DataFrame, testset: str) -> dict[str, Any] | None:
    """The trained arm with the highest macro accuracy on `testset` (None without trained arms)."""
    part = means.filter(
        (pl.col("testset") == testset)
        & (pl.col("test_level") == "macro")
        & (pl.col("train_level") != "base")
    ).sort("accuracy", "train_level", "n", descending=[True, False, False])
    if part.is_empty():
        return None
    row = part.row(0, named=True)
    return {
        "arm": f"L{row['train_level']}_n{row['n']}",
        "macro": round(row["accuracy"], 4),
        "seeds": row["seeds"],
    }


def base_macro(means: pl.DataFrame, testset: str) -> float | None:
    part = means.filter(
        (pl.col("testset") == testset)
        & (pl.col("test_level") == "macro")
        & (pl.col("train_level") == "base")
    )
    return None if part.is_empty() else round(part["accuracy"][0], 4)


def diagonal(means: pl.DataFrame, testset: str = "in") -> dict[str, Any]:
    """Per n: mean over test levels of (accuracy when trained on that level - mean accuracy over
    training levels), and the test levels whose best training level is their own.
    """
    part = means.filter(
        (pl.col("testset") == testset)
        & (pl.col("train_level") != "base")
        & (pl.col("test_level") != "macro")
    )
    out = {}
    for n in n_order(part["n"].to_list()):
        cells = part.filter(pl.col("n") == n)
        margins, own_best = [], []
        for level in sorted(set(cells["train_level"]) & set(cells["test_level"])):
            column = cells.filter(pl.col("test_level") == level)
            same = column.filter(pl.col("train_level") == level)["accuracy"][0]
            margins.append(same - column["accuracy"].mean())
            if same >= column["accuracy"].max():
                own_best.append(level)
        if margins:
            out[n] = {
                "margin": round(sum(margins) / len(margins), 4),
                "levels": len(margins),
                "own_level_best": own_best,
            }
    return out


def demo_outcome(summary: pl.DataFrame, exposure: dict[str, Any], model: str) -> dict[str, Any]:
    """The headline figures and whether each bar is cleared (a missing figure fails its bar)."""
    means = arm_means(summary, model)
    base = {testset: base_macro(means, testset) for testset in ("in", "ood")}
    best = {testset: best_arm(means, testset) for testset in ("in", "ood")}
    diag = diagonal(means, "in")
    largest = list(diag)[-1] if diag else None
    ood, ind = best["ood"], best["in"]
    spearman = exposure.get("spearman")
    checks = {
        "ood_gain": bool(
            ood and base["ood"] is not None and ood["macro"] >= base["ood"] + OOD_GAIN
        ),
        "ood_floor": bool(ood and ood["macro"] >= OOD_FLOOR),
        "in_domain_floor": bool(ind and ind["macro"] >= IN_DOMAIN_FLOOR),
        "diagonal": bool(largest and diag[largest]["margin"] > 0),
        "spearman": spearman is not None and spearman >= SPEARMAN_FLOOR,
    }
    return {
        "model": model,
        "base_macro": base,
        "best_trained": best,
        "ood_gain_over_base": (
            round(ood["macro"] - base["ood"], 4) if ood and base["ood"] is not None else None
        ),
        "diagonal_in_domain": diag,
        "spearman_R_exposure": spearman,
        "bars": {
            "ood_gain": OOD_GAIN,
            "ood_floor": OOD_FLOOR,
            "in_domain_floor": IN_DOMAIN_FLOOR,
            "spearman_floor": SPEARMAN_FLOOR,
        },
        "checks": checks,
        "passes": all(checks.values()),
    }
