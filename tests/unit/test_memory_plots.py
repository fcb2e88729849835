"""Every memory-study plot returns a matplotlib Figure from tidy tables."""

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from sftlab.plots.memory import (
    accuracy_vs_n,
    exposure_scatter,
    level_distribution,
    level_heatmap,
    level_transitions,
)


def summary() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for testset in ("in", "ood"):
        rows.append(
            dict(
                model="m",
                train_level="base",
                n="0",
                seed=0,
                testset=testset,
                test_level="macro",
                accuracy=0.1,
                items=10,
            )
        )
        for level in "01234":
            for n in ("20", "60", "all"):
                for seed in (0, 1):
                    for test_level in [*"01234", "macro"]:
                        rows.append(
                            dict(
                                model="m",
                                train_level=level,
                                n=n,
                                seed=seed,
                                testset=testset,
                                test_level=test_level,
                                accuracy=float(rng.uniform()),
                                items=10,
                            )
                        )
    return pl.DataFrame(rows)


def levels(seed):
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "fact_id": [f"f{i}" for i in range(50)],
            "level": rng.integers(0, 5, 50).astype(np.int8),
            "subset": ["train"] * 30 + ["in"] * 20,
        }
    )


def test_accuracy_vs_n():
    assert isinstance(accuracy_vs_n(summary()), Figure)


def test_level_heatmap():
    fig = level_heatmap(summary(), "m")
    panels = [ax for ax in fig.axes if ax.get_title()]  # the others are colour bars
    assert isinstance(fig, Figure) and len(panels) == 6  # 2 test sets x 3 sizes


def test_level_distribution():
    counts = pl.DataFrame(
        {
            "model": ["a"] * 5 + ["b"] * 5,
            "subset": ["train"] * 10,
            "level": list(range(5)) * 2,
            "facts": [1, 2, 3, 4, 0] * 2,
            "share": [0.1, 0.2, 0.3, 0.4, 0.0] * 2,
        }
    )
    assert isinstance(level_distribution(counts), Figure)


def test_level_transitions_count_training_facts_only():
    fig = level_transitions(levels(0), levels(1), "a", "b", 5)
    assert fig.axes[0].get_title().startswith("a -> b: 30 train facts")
    cells = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("n=")]
    assert sum(int(c[2:]) for c in cells) == 30
    assert (
        "20 in facts"
        in level_transitions(levels(0), levels(1), "a", "b", 5, "in").axes[0].get_title()
    )


def test_exposure_scatter():
    rng = np.random.default_rng(0)
    exposure = rng.integers(0, 64, 80)
    frame = pl.DataFrame(
        {
            "exposure": exposure,
            "R": np.clip(exposure / 64 + rng.normal(0, 0.1, 80), 0, 1),
            "level": rng.integers(0, 5, 80),
        }
    )
    fig = exposure_scatter(frame, "demo")
    assert isinstance(fig, Figure) and "Spearman" in fig.axes[0].get_title()
