"""The demo world's validity verdict: Spearman(exposure, R) against the bar, no empty level."""

from __future__ import annotations

import polars as pl
import pytest

from sftlab.demo.exposure import exposure_verdict, with_exposure


def tables(scores: list[float], levels: list[int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = len(scores)
    levels_table = pl.DataFrame(
        {
            "relation": ["capital"] * (n + 1),
            "subject": [f"s{i}" for i in range(n + 1)],  # the last one is not in the world
            "R": [*scores, 0.5],
            "level": [*levels, 0],
        }
    )
    world = pl.DataFrame(
        {"relation": ["capital"] * n, "subject": [f"s{i}" for i in range(n)], "exposure": range(n)}
    )
    return levels_table, world


def verdict(scores, levels, n_levels=2, min_spearman=0.8):
    levels_table, world = tables(scores, levels)
    return exposure_verdict(
        levels_table, with_exposure(levels_table, world), n_levels, min_spearman
    )


def test_monotone_scores_with_every_level_pass():
    result = verdict([0.0, 0.1, 0.6, 0.9], [0, 0, 1, 1])
    assert result["spearman"] == pytest.approx(1.0)
    assert result["facts"] == 4 and result["unmatched"] == 1
    assert result["facts_per_level"] == {"0": 2, "1": 2}
    assert result["bar"] == 0.8 and result["passes"]


def test_an_empty_level_fails_however_good_the_ranking():
    result = verdict([0.0, 0.1, 0.6, 0.9], [0, 0, 1, 1], n_levels=3)
    assert result["facts_per_level"]["2"] == 0 and not result["passes"]


def test_ranking_below_the_bar_fails_and_the_bar_comes_from_the_caller():
    scores, levels = [0.9, 0.0, 0.6, 0.1], [1, 0, 1, 0]
    low = verdict(scores, levels)
    assert low["spearman"] < 0.8 and not low["passes"]
    assert verdict(scores, levels, min_spearman=low["spearman"])["passes"]
