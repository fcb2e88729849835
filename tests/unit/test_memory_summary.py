"""The tidy summary: per-level accuracy plus the macro headline."""

import polars as pl
import pytest

from sftlab.memory.summary import (
    COLUMNS,
    mean_over_seeds,
    n_order,
    report_sections,
    run_accuracy,
    summarise,
)

ITEMS = pl.DataFrame({"item_id": ["a", "b", "c", "d"], "group": ["0", "0", "1", "4"]})


def evaluation(correct):
    return pl.DataFrame({"item_id": ["a", "b", "c", "d"], "correct": correct})


def test_macro_is_unweighted_mean_over_levels():
    acc = run_accuracy(evaluation([True, False, True, True]), ITEMS)
    rows = {r["test_level"]: r for r in acc.iter_rows(named=True)}
    assert rows["0"]["accuracy"] == 0.5 and rows["0"]["items"] == 2
    assert rows["macro"]["accuracy"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert rows["macro"]["items"] == 4


def test_macro_names_its_levels_and_flags_missing_ones():
    run = dict(
        model="m", train_level="0", n="60", seed=0, testset="in", n_train=60, short=False,
        evaluation=evaluation([True] * 4), items=ITEMS,
    )  # fmt: skip
    macro = summarise([run]).filter(pl.col("test_level") == "macro").row(0, named=True)
    # levels 0, 1, 4 are present: 2 and 3 are gaps below the highest level
    assert (macro["macro_levels"], macro["missing_levels"]) == ("0,1,4", "2,3")
    full = summarise([run], levels=["0", "1", "4"]).filter(pl.col("test_level") == "macro")
    assert full["missing_levels"].to_list() == [""]
    five = summarise([run], levels=[str(i) for i in range(6)]).filter(
        pl.col("test_level") == "macro"
    )
    assert five["missing_levels"].to_list() == ["2,3,5"]
    heading, table = report_sections(summarise([run]))[0]
    assert "macro_levels" in heading and table["missing_levels"].to_list() == ["2,3"]


def test_missing_evaluation_row_is_an_error():
    with pytest.raises(ValueError, match="no evaluation row"):
        run_accuracy(evaluation([True] * 4).head(3), ITEMS)


def test_summary_shape():
    runs = []
    for level in ("0", "1"):
        for seed in (0, 1):
            for testset in ("in", "ood"):
                runs.append(
                    dict(
                        model="m",
                        train_level=level,
                        n="60",
                        seed=seed,
                        testset=testset,
                        n_train=60,
                        short=False,
                        evaluation=evaluation([True] * 4),
                        items=ITEMS,
                    )
                )
    summary = summarise(runs)
    assert summary.columns == list(COLUMNS)
    assert summary.height == 8 * 4  # 8 runs x (3 levels + macro)
    assert summary.filter(pl.col("test_level") == "macro").height == 8
    assert summarise([]).columns == list(COLUMNS)


def test_n_order():
    assert n_order(["all", "240", "60", "1920", "0"]) == ["0", "60", "240", "1920", "all"]


def test_mean_over_seeds_and_report_tables():
    runs = [
        dict(model="m", train_level="0", n=n, seed=seed, testset="in", n_train=int(n),
             short=False, evaluation=evaluation(correct), items=ITEMS)
        for n, seed, correct in [
            ("240", 0, [True] * 4), ("240", 1, [False] * 4), ("60", 0, [True, True, False, False]),
        ]
    ]  # fmt: skip
    pooled = mean_over_seeds(summarise(runs))
    macro = pooled.filter(pl.col("test_level") == "macro")
    assert macro["n"].to_list() == ["60", "240"]  # numeric order, not string order
    row = macro.row(1, named=True)
    assert (
        row["seeds"] == 2
        and row["accuracy"] == 0.5
        and row["accuracy_sd"] == pytest.approx(0.7071, abs=1e-4)
    )
    (_, headline), (_, levels) = report_sections(summarise(runs))
    assert headline.height == 2 and set(levels["test_level"]) == {"0", "1", "4"}
