"""Memory score R and the level bins."""

import polars as pl
import pytest

from sftlab.evaluate.match import MatchSettings
from sftlab.memory.levels import (
    PAPER_BINS,
    assign_levels,
    level_counts,
    level_of,
    memory_scores,
    probe_subsets,
    short_gold_warning,
)


def test_paper_bin_edges():
    scores = [0.0, 1e-9, 0.25, 0.2500001, 0.5, 0.51, 0.75, 0.76, 1.0]
    assert level_of(scores, PAPER_BINS).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_custom_bins():
    assert level_of([0.0, 0.1, 0.5, 1.0], [0.1, 1.0]).tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("bins", [[0.0], [0.0, 0.5, 0.5, 1.0], [0.0, 0.5], [-0.1, 1.0]])
def test_bad_bins(bins):
    with pytest.raises(ValueError):
        level_of([0.2], bins)


def test_score_out_of_range():
    with pytest.raises(ValueError):
        level_of([1.2])


def probe_table(rows):
    return pl.DataFrame(
        rows, schema=["fact_id", "relation", "template_id", "hits", "samples"], orient="row"
    )


def test_r_is_hits_over_templates_times_samples():
    probe = probe_table(
        [
            ("a", "P17", "P17.00", 10, 10),
            ("a", "P17", "P17.01", 0, 10),
            ("a", "P17", "P17.02", 5, 10),
            ("b", "P17", "P17.00", 0, 10),
            ("b", "P17", "P17.01", 0, 10),
            ("b", "P17", "P17.02", 0, 10),
        ]
    )
    scores = memory_scores(probe, {"P17": 3})
    assert scores["R"].to_list() == [pytest.approx(15 / 30), 0.0]
    assert scores["completions"].to_list() == [30, 30]
    assert assign_levels(scores)["level"].to_list() == [2, 0]


def test_missing_template_is_an_error():
    probe = probe_table([("a", "P17", "P17.00", 1, 10)])
    with pytest.raises(ValueError, match="wrong number of templates"):
        memory_scores(probe, {"P17": 2})


def test_teacher_forcing_r_is_mean_probability():
    probe = pl.DataFrame(
        {
            "fact_id": ["a", "a"],
            "relation": ["r", "r"],
            "template_id": ["r.00", "r.01"],
            "prob": [0.2, 0.6],
        }
    )
    assert memory_scores(probe, {"r": 2})["R"].item() == pytest.approx(0.4)


def test_level_counts_list_empty_levels():
    levels = pl.DataFrame(
        {"subset": ["train", "train", "in"], "level": [0, 0, 4]},
        schema={"subset": pl.String, "level": pl.Int8},
    )
    counts = level_counts(levels, PAPER_BINS)
    assert counts.height == 10
    train = counts.filter(pl.col("subset") == "train")
    assert train["facts"].to_list() == [2, 0, 0, 0, 0]
    assert train["share"].to_list()[0] == 1.0


def test_probe_subsets():
    facts = pl.DataFrame(
        {
            "split": ["train", "train", "test", "test", "dev"],
            "domain": ["in", "ood", "in", "ood", "in"],
        }
    )
    assert probe_subsets(facts)["subset"].to_list() == ["train", "in", "ood"]


def test_short_gold_warning_names_the_facts_and_their_r():
    levels = pl.DataFrame(
        {
            "fact_id": ["a", "b", "c", "d"],
            "relation": ["dir", "dir", "capital", "capital"],
            "answers": [["N"], ["S", "South"], ["Oslo"], ["Rome"]],
            "R": [0.6, 0.5, 0.1, 0.0],
        }
    )
    warning = short_gold_warning(levels, MatchSettings())
    assert warning.startswith("2 fact(s) have a gold answer shorter than 3 characters")
    assert "mean R 0.55, other facts 0.05" in warning and "{'dir': 2}" in warning
    assert "a ['N']" in warning and "whole_words: true" in warning
    assert short_gold_warning(levels, MatchSettings(whole_words=True)) is None
    assert short_gold_warning(levels.filter(pl.col("R") < 0.2), MatchSettings()) is None
