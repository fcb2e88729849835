"""Shared figure style: cell text colour from luminance, data-driven ranges, marked cells."""

import matplotlib as mpl
import numpy as np
import polars as pl
import pytest

from sftlab.plots import (
    FEW_MARK,
    annotated_heatmap,
    data_limits,
    figure,
    relative_luminance,
    text_colour,
)
from sftlab.plots.memory import accuracy_vs_n, level_heatmap


@pytest.mark.parametrize(
    ("rgba", "colour"),
    [
        ((1, 1, 1, 1), "black"),  # white cell (Blues at 0, the centre of RdBu)
        ((0, 0, 0, 1), "white"),
        ((0.03, 0.19, 0.42, 1), "white"),  # navy (Blues at 1)
        ((0.99, 0.91, 0.14, 1), "black"),  # viridis yellow
        ((0.5, 0.5, 0.5, 1), "black"),  # mid grey: L = 0.21 > 0.179
        ((0.4, 0.4, 0.4, 1), "white"),  # L = 0.13
    ],
)
def test_text_colour_contrasts_with_the_cell(rgba, colour):
    assert text_colour(rgba) == colour


def test_every_colormap_end_and_centre_gets_readable_text():
    """The WCAG contrast ratio of the chosen colour is at least 4.5 wherever that is possible
    (it always is for one of black or white: max(ratio) >= 4.58 for every luminance)."""
    for name in ("viridis", "magma", "Blues", "RdBu"):
        cmap = mpl.colormaps[name]
        for x in np.linspace(0, 1, 41):
            luminance = relative_luminance(cmap(x))
            text = 0.0 if text_colour(cmap(x)) == "black" else 1.0
            ratio = (max(luminance, text) + 0.05) / (min(luminance, text) + 0.05)
            assert ratio >= 4.5, (name, x, ratio)


def test_heatmap_text_follows_each_cell_and_marks():
    fig, axes = figure()
    matrix = np.array([[0.0, 1.0], [0.5, np.nan]])
    marks = np.array([[True, False], [False, False]])
    annotated_heatmap(
        axes[0, 0], matrix, ["a", "b"], ["x", "y"], cmap="Blues", vmin=0, vmax=1, marks=marks
    )
    texts = {t.get_text(): t.get_color() for t in axes[0, 0].texts}
    assert texts == {f"0.00{FEW_MARK}": "black", "1.00": "white", "0.50": "black"}


def test_data_limits():
    assert data_limits([0.06, 0.24]) == pytest.approx((0.06 - 0.0144, 0.24 + 0.0144))
    assert data_limits([0.0, 1.0], pad=0.0) == (0.0, 1.0)
    assert data_limits([0.0, 0.0]) == pytest.approx((-0.008, 0.058))  # a flat 0 stays visible
    assert data_limits([-0.5, 2.0], pad=0.0) == (0.0, 1.0)  # clamped to accuracy's range
    assert data_limits([0.5, 0.5], pad=0.0) == pytest.approx((0.45, 0.55))
    assert data_limits([np.nan]) == (0.0, 1.0)
    assert data_limits([-3.0, 2.0], floor=None, ceiling=None, pad=0.0) == (-3.0, 2.0)


def summary(short_level="4") -> pl.DataFrame:
    """Accuracies in 0.06..0.24; level 4's n=60 set holds 29 facts; test level 4 has 12 items."""
    rows = []
    for level in "01234":
        for n in ("20", "60"):
            short = level == short_level and n == "60"
            for test_level, items in (("0", 100), ("4", 12), ("macro", 112)):
                acc = 0.06 + 0.04 * int(level) + (0.01 if n == "60" else 0.0)
                rows.append(
                    dict(model="m", train_level=level, n=n, n_train=29 if short else int(n),
                         short=short, seed=0, testset="in", test_level=test_level,
                         accuracy=acc, items=items)
                )  # fmt: skip
    return pl.DataFrame(rows)


def test_accuracy_axis_fits_the_data_and_short_sets_are_marked():
    fig = accuracy_vs_n(summary())
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert 0.04 < low < 0.06 and 0.23 < high < 0.26  # not 0..1
    assert [t.get_text() for t in ax.texts] == ["29"]  # the short set's real size
    legend = fig.legends[0]
    assert not ax.get_legend()  # the legend sits beside the panels, not over the data
    assert any("smaller than n" in t.get_text() for t in legend.get_texts())


def test_level_heatmap_marks_few_items_and_short_sets():
    fig = level_heatmap(summary(), "m")
    n60 = next(ax for ax in fig.axes if ax.get_title().endswith("n=60"))
    cells = [t.get_text() for t in n60.texts]
    assert sum(t.endswith(FEW_MARK) for t in cells) == 5  # test level 4 (12 items), every row
    ticks = {t.get_text(): t.get_color() for t in n60.get_yticklabels()}
    assert ticks["4 (29)"] == "C3" and ticks["3"] != "C3"
    assert "12 items" in n60.get_xticklabels()[1].get_text()
    assert "fewer than 30 test items" in fig.get_suptitle()
    assert "smaller than n" in fig.get_suptitle()
