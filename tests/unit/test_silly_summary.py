import numpy as np
import polars as pl
import pytest
from helpers_silly import SUBJECTS, eval_runs
from matplotlib.figure import Figure

from sftlab import stats
from sftlab.plots.silly import category_bars, consistency_note, delta_heatmap, rule_correlation
from sftlab.silly.summary import (
    CONSISTENCY_SCHEMA,
    DELTA_SCHEMA,
    consistency,
    report_sections,
    summarise,
)
from sftlab.tables import html_page

RULES = {
    "up": {"name": "Up", "label": "upward", "origin": "sftlab"},
    "down": {"name": "Down", "label": "downward", "origin": "sftlab"},
}


@pytest.fixture(scope="module")
def deltas():
    # 3 seeds: Welch's test over run accuracies has ~4 degrees of freedom
    runs = eval_runs({"up": 0.5, "down": -0.5, "neutral": 0.0}, seeds=(0, 1, 2))
    return summarise(runs, RULES, n_boot=300, seed=0)


def test_summary_shape(deltas):
    assert dict(deltas.schema) == DELTA_SCHEMA
    arms, seeds_plus_mean = 3, 4
    groups = len(SUBJECTS) + len(set(SUBJECTS.values())) + 1  # subjects, categories, all
    assert deltas.height == arms * groups * seeds_plus_mean
    assert set(deltas["level"]) == {"subject", "category", "all"}
    assert "plain" not in set(deltas["arm"])
    # q only on seed-averaged subject cells (3 subjects x 3 arms in the BH family)
    family = deltas.filter(pl.col("q").is_not_null())
    assert family.height == 9
    assert set(family["level"]) == {"subject"} and family["seed"].null_count() == 9


def test_summary_values(deltas):
    overall = {
        r["arm"]: r
        for r in deltas.filter((pl.col("level") == "all") & pl.col("seed").is_null()).iter_rows(
            named=True
        )
    }
    assert overall["up"]["delta"] > 0.1 and overall["up"]["ci_low"] > 0
    assert (
        overall["down"]["delta"] < -0.1 and overall["down"]["significant"] is False
    )  # not a family row
    assert overall["neutral"]["delta"] == 0 and overall["neutral"]["p"] == 1.0
    assert overall["up"]["n_seeds"] == 3 and overall["up"]["n_items"] == 240
    assert overall["up"]["test"] == stats.SEED_TEST and overall["up"]["seed_variance"]
    up = deltas.filter(
        pl.col("arm") == "up", pl.col("level") == "subject", pl.col("seed").is_null()
    )
    assert up["significant"].all()
    assert up["acc_base"].is_not_null().all() and up["rule_name"].to_list() == ["Up"] * 3
    assert up["label"].to_list() == ["upward"] * 3
    # the halves are plain's seeds (0, 2) and (1): the half deltas weigh them 2:1
    halves = up.select("delta_half_a", "delta_half_b").to_numpy()
    np.testing.assert_allclose(halves @ [2 / 3, 1 / 3], up["delta"].to_numpy())
    per_seed = deltas.filter(
        pl.col("arm") == "up", pl.col("level") == "all", pl.col("seed").is_not_null()
    )
    assert np.mean(per_seed["delta"].to_list()) == pytest.approx(overall["up"]["delta"])
    assert set(per_seed["test"]) == {stats.ITEM_TEST}  # per-seed rows are diagnostics


def test_one_seed_says_seed_variance_is_not_estimated():
    runs = eval_runs({"up": 0.3, "down": -0.3}, seeds=(0,))
    deltas = summarise(runs, RULES, n_boot=100)
    mean = deltas.filter(pl.col("seed").is_null())
    assert not mean["seed_variance"].any() and set(mean["test"]) == {stats.ITEM_TEST}
    assert mean["n_plain_seeds"].to_list() == [1] * mean.height
    title = report_sections(deltas, consistency(deltas, ["up", "down"]))[0][0]
    assert "SEED VARIANCE NOT ESTIMATED" in title
    assert consistency(deltas, ["up", "down"])["halves"].to_list() == ["items"]


def test_summary_needs_plain():
    runs = eval_runs({"up": 0.3}).filter(pl.col("arm") != "plain")
    with pytest.raises(ValueError, match="plain"):
        summarise(runs, RULES, n_boot=100)


def test_consistency(deltas):
    table = consistency(deltas, ["up", "down"], n_perm=99)
    assert dict(table.schema) == CONSISTENCY_SCHEMA
    row = table.row(0, named=True)
    assert row["n_subjects"] == 3 and row["n_rules"] == 2 and row["halves"] == "plain seeds"
    assert -1.5 < row["consistency"] < 1.5 and 0 < row["p"] <= 1
    assert "cross-half r" in consistency_note(table, "m")
    assert "not estimated" in consistency_note(table.clear(), "m")


def test_plots_return_figures(deltas):
    arms = ["up", "down", "plain", "neutral"]
    for plot in (delta_heatmap, category_bars, rule_correlation):
        fig = plot(deltas, "m", arms)
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel()
    heat = delta_heatmap(deltas, "m", arms).axes[0]
    assert [t.get_text() for t in heat.get_xticklabels()] == ["upward", "downward", "neutral"]
    assert len(heat.patches) == 6  # the significant cells are boxed: up and down, 3 subjects each
    assert any(t.get_text().startswith("+") for t in heat.texts)  # numbers in cells


def test_report_tables_are_the_seed_means(deltas):
    sections = report_sections(deltas, consistency(deltas, ["up", "down"], n_perm=99))
    titles = [title for title, _ in sections]
    assert [t.split(":")[-1].split("(")[0].strip() for t in titles[2:]] == [
        "per category", "per subject"
    ]  # fmt: skip
    overall = sections[0][1]
    assert overall.height == 3 and set(overall["group"]) == {"all"}  # one row per arm
    page = html_page(sections)
    assert page.count("<table>") == 4 and "upward" in page and "SEED VARIANCE" not in page


def test_without_per_seed_rows_the_seed_means_are_unchanged(deltas):
    runs = eval_runs({"up": 0.5, "down": -0.5, "neutral": 0.0}, seeds=(0, 1, 2))
    lean = summarise(runs, RULES, n_boot=300, seed=0, per_seed=False)
    assert lean["seed"].null_count() == lean.height
    means = deltas.filter(pl.col("seed").is_null())
    assert lean.select("arm", "group", "delta", "p", "q").equals(
        means.select("arm", "group", "delta", "p", "q")
    )
