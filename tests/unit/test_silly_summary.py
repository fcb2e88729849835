import numpy as np
import polars as pl
import pytest
from helpers_silly import SUBJECTS, eval_runs
from matplotlib.figure import Figure

from sftlab.plots.silly import category_bars, delta_heatmap, rule_correlation
from sftlab.silly.summary import DELTA_SCHEMA, consistency, report_sections, summarise
from sftlab.tables import html_page

RULES = {"up": {"name": "Up", "origin": "sftlab"}, "down": {"name": "Down", "origin": "sftlab"}}


@pytest.fixture(scope="module")
def deltas():
    runs = eval_runs({"up": 0.3, "down": -0.3, "neutral": 0.0}, seeds=(0, 1))
    return summarise(runs, RULES, n_boot=300, seed=0)


def test_summary_shape(deltas):
    assert dict(deltas.schema) == DELTA_SCHEMA
    arms, seeds_plus_mean = 3, 3
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
    assert overall["up"]["n_seeds"] == 2 and overall["up"]["n_items"] == 240
    up = deltas.filter(
        pl.col("arm") == "up", pl.col("level") == "subject", pl.col("seed").is_null()
    )
    assert up["significant"].all()
    assert up["acc_base"].is_not_null().all() and up["rule_name"].to_list() == ["Up"] * 3
    per_seed = deltas.filter(
        pl.col("arm") == "up", pl.col("level") == "all", pl.col("seed").is_not_null()
    )
    assert np.mean(per_seed["delta"].to_list()) == pytest.approx(overall["up"]["delta"])


def test_summary_needs_plain():
    runs = eval_runs({"up": 0.3}).filter(pl.col("arm") != "plain")
    with pytest.raises(ValueError, match="plain"):
        summarise(runs, RULES, n_boot=100)


def test_consistency(deltas):
    shares = consistency(deltas, ["up", "down"])
    row = shares.row(0, named=True)
    assert row["n_subjects"] == 3 and row["n_rules"] == 2
    assert row["share_rule"] > 0.9  # up vs down dominates: the rule, not the subject, explains it
    total = row["share_subject"] + row["share_rule"] + row["share_residual"]
    assert total == pytest.approx(1.0)


def test_plots_return_figures(deltas):
    arms = ["up", "down", "plain", "neutral"]
    for plot in (delta_heatmap, category_bars, rule_correlation):
        fig = plot(deltas, "m", arms)
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel()
    heat = delta_heatmap(deltas, "m", arms).axes[0]
    assert [t.get_text() for t in heat.get_xticklabels()] == ["up", "down", "neutral"]
    assert len(heat.patches) == 6  # the significant cells are boxed: up and down, 3 subjects each
    assert any(t.get_text().startswith("+") for t in heat.texts)  # numbers in cells


def test_report_tables_are_the_seed_means(deltas):
    sections = report_sections(deltas, consistency(deltas, ["up", "down"]))
    titles = [title for title, _ in sections]
    assert [t.split(":")[-1].split("(")[0].strip() for t in titles[2:]] == [
        "per category", "per subject"
    ]  # fmt: skip
    overall = sections[0][1]
    assert overall.height == 3 and set(overall["group"]) == {"all"}  # one row per arm
    page = html_page(sections)
    assert page.count("<table>") == 4 and "Up" in page
