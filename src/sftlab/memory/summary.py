"""One tidy table of the memory study: accuracy per (model, train level, n, seed, test set, test
level).

Each evaluation's per-item table (item_id, correct) is joined to its QA test items (item_id, group =
test memory level). Per test level the accuracy is the share of correct items; the headline row of
each run (test_level "macro") is the unweighted mean of the per-level accuracies, as in the paper,
and its `items` is the total. The macro row names the levels it averages (`macro_levels`) and the
expected levels its test set lacks (`missing_levels`, empty when none): a macro over levels 0-3 is
not comparable with one over 0-4. Levels are strings so that the base model ("base") and "all" sit
in the same columns.
"""

from __future__ import annotations

from typing import Any

import polars as pl

KEYS = ("model", "train_level", "n", "seed", "testset")
COLUMNS = {
    "model": pl.String,
    "train_level": pl.String,
    "n": pl.String,
    "n_train": pl.Int64,
    "short": pl.Boolean,
    "seed": pl.Int64,
    "testset": pl.String,
    "test_level": pl.String,
    "accuracy": pl.Float64,
    "items": pl.Int64,
    "macro_levels": pl.String,
    "missing_levels": pl.String,
}


def _level_key(level: str) -> tuple[int, str]:
    return (int(level), "") if level.isdigit() else (1 << 30, level)


def _join(levels) -> str:
    return ",".join(sorted(levels, key=_level_key))


def run_accuracy(
    evaluation: pl.DataFrame, items: pl.DataFrame, expected: set[str] = frozenset()
) -> pl.DataFrame:
    """Per test level and "macro": accuracy and item count of one evaluation; the macro row lists
    its levels and those of `expected` that the test set lacks."""
    joined = items.select("item_id", pl.col("group").alias("test_level")).join(
        evaluation.select("item_id", pl.col("correct").cast(pl.Float64)), on="item_id", how="left"
    )
    missing = joined.filter(pl.col("correct").is_null()).height
    if missing:
        raise ValueError(f"{missing} test item(s) have no evaluation row")
    per_level = joined.group_by("test_level").agg(
        pl.col("correct").mean().alias("accuracy"), pl.len().cast(pl.Int64).alias("items")
    )
    present = set(per_level["test_level"].to_list())
    macro = per_level.select(
        pl.lit("macro").alias("test_level"),
        pl.col("accuracy").mean(),
        pl.col("items").sum(),
        pl.lit(_join(present)).alias("macro_levels"),
        pl.lit(_join(set(expected) - present)).alias("missing_levels"),
    )
    return pl.concat([per_level.sort("test_level"), macro], how="diagonal")


def expected_levels(runs: list[dict[str, Any]], levels: list[str] | None) -> dict[tuple, set]:
    """Per (model, test set): `levels` if given, else every level any run of it was tested on,
    with the gaps of 0..max filled (a level no run saw above the highest one cannot be seen)."""
    out: dict[tuple, set[str]] = {}
    for run in runs:
        seen = out.setdefault((run["model"], run["testset"]), set())
        seen.update(run["items"]["group"].cast(pl.String).unique().to_list())
    for key, seen in out.items():
        numeric = [int(v) for v in seen if v.isdigit()]
        top = max(numeric, default=-1)
        out[key] = set(levels) if levels else seen | {str(i) for i in range(top + 1)}
    return out


def summarise(runs: list[dict[str, Any]], levels: list[str] | None = None) -> pl.DataFrame:
    """`runs`: dicts with the KEYS, n_train, short, and frames `evaluation` and `items`;
    `levels`: the memory levels every test set should hold (see `expected_levels`)."""
    parts = []
    expected = expected_levels(runs, levels)
    for run in runs:
        acc = run_accuracy(
            run["evaluation"], run["items"], expected[(run["model"], run["testset"])]
        )
        meta = {k: run[k] for k in (*KEYS, "n_train", "short")}
        parts.append(acc.with_columns(**{k: pl.lit(v) for k, v in meta.items()}))
    if not parts:
        return pl.DataFrame(schema=COLUMNS)
    return (
        pl.concat(parts, how="diagonal")
        .select([pl.col(c).cast(t) for c, t in COLUMNS.items()])
        .sort("model", "testset", "train_level", "n", "seed", "test_level")
    )


def n_order(values: list[str]) -> list[str]:
    """Sizes in numeric order, "all" last, "0" (the base model) first."""
    return sorted(set(values), key=lambda v: (v == "all", int(v) if v.isdigit() else 0))


def mean_over_seeds(summary: pl.DataFrame) -> pl.DataFrame:
    """Accuracy per (model, test set, train level, n, test level): mean and sd over seeds."""
    keys = ["model", "testset", "train_level", "n", "test_level"]
    table = summary.group_by(keys).agg(
        pl.col("seed").n_unique().alias("seeds"),
        pl.col("n_train").max(),
        pl.col("short").any(),
        pl.col("items").first(),
        pl.col("accuracy").mean().alias("accuracy"),
        pl.col("accuracy").std().alias("accuracy_sd"),
        pl.col("macro_levels").first(),
        pl.col("missing_levels").max(),
    )
    order = {v: i for i, v in enumerate(n_order(table["n"].to_list()))}
    return (
        table.with_columns(pl.col("n").replace_strict(order).alias("_n"))
        .sort("model", "testset", "train_level", "_n", "test_level")
        .drop("_n")
    )


def report_sections(summary: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    """The report's tables: the macro accuracy (headline), then every test level."""
    pooled = mean_over_seeds(summary)
    return [
        ("Accuracy, macro mean over the test levels in macro_levels (mean and sd over seeds; "
         "short: set below n; missing_levels: expected levels absent from the test set)",
         pooled.filter(pl.col("test_level") == "macro")),
        ("Accuracy per test level",
         pooled.filter(pl.col("test_level") != "macro").drop("macro_levels", "missing_levels")),
    ]  # fmt: skip
