"""Figures: plot functions take tidy tables and return matplotlib Figures; only the rule adapters
save them.

Shared style lives here: `figure` (a grid of axes, sized per panel), `annotated_heatmap` (a heat
map with the numbers written in its cells, diverging around `center` when given), `text_colour`
(black or white, whichever contrasts more with a cell's colour), `data_limits` (an axis range fitted
to the data) and `legend_outside` (a legend beside the axes, never over the data).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

PANEL = (4.2, 3.4)  # inches per panel
# A cell resting on fewer test items than this moves by more than 3 points per item: its number is
# marked with FEW_MARK (the caption says so).
FEW_ITEMS = 30
FEW_MARK = "\u2020"  # dagger; stars would read as significance


def figure(rows: int = 1, cols: int = 1, panel: tuple[float, float] = PANEL, **kwargs):
    """A Figure and a 2-D array of axes (always 2-D, whatever rows and cols)."""
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(panel[0] * cols, panel[1] * rows),
        squeeze=False,
        layout="constrained",
        **kwargs,
    )
    return fig, axes


def annotated_heatmap(
    ax,
    matrix: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    *,
    fmt: str = "{:.2f}",
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    center: float | None = None,
    colorbar_label: str | None = None,
    marks: np.ndarray | None = None,
):
    """Draw `matrix` on `ax` with each finite value written in its cell; NaN cells stay blank.

    The text of each cell is black or white from the luminance of the cell's own colour; cells
    where `marks` (a boolean matrix) is true get FEW_MARK after their number.
    """
    data = np.asarray(matrix, dtype=float)
    norm = None
    if center is not None:
        span = np.nanmax(np.abs(data - center)) if np.isfinite(data).any() else 1.0
        span = span or 1.0
        norm = TwoSlopeNorm(vcenter=center, vmin=center - span, vmax=center + span)
        vmin = vmax = None
    image = ax.imshow(
        np.ma.masked_invalid(data), cmap=cmap, vmin=vmin, vmax=vmax, norm=norm, aspect="auto"
    )
    ax.set_xticks(range(len(col_labels)), labels=list(col_labels))
    ax.set_yticks(range(len(row_labels)), labels=list(row_labels))
    if data.size <= 400:  # numbers stop being legible beyond ~20 x 20 cells
        marked = np.zeros(data.shape, bool) if marks is None else np.asarray(marks, bool)
        for (i, j), value in np.ndenumerate(data):
            if np.isfinite(value):
                text = fmt.format(value) + (FEW_MARK if marked[i, j] else "")
                colour = text_colour(image.cmap(image.norm(value)))
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
    if colorbar_label is not None:
        ax.figure.colorbar(image, ax=ax, label=colorbar_label, shrink=0.8)
    return image


def relative_luminance(rgba: Sequence[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (channels in 0..1): 0 black, 1 white."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(rgba: Sequence[float]) -> str:
    """ "black" or "white", whichever has the higher WCAG contrast ratio against `rgba`.

    Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05); they are equal at
    L = 0.179, so mid-grey backgrounds and the pale centre of a diverging map get black text.
    """
    luminance = relative_luminance(rgba)
    return "black" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "white"


def data_limits(
    values, pad: float = 0.08, floor: float | None = 0.0, ceiling: float | None = 1.0
) -> tuple[float, float]:
    """An axis range around the finite `values`, padded by `pad` of their span; a flat series
    gets a span of 0.1. The range never reaches further than the padding past [floor, ceiling]
    (None = unbounded), so points on a bound (accuracy 0) stay visible off the axis line.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return (floor or 0.0, ceiling if ceiling is not None else 1.0)
    low, high = float(finite.min()), float(finite.max())
    if high == low:
        low, high = low - 0.05, high + 0.05
    span = high - low
    low, high = low - pad * span, high + pad * span
    if floor is not None:
        low = max(low, floor - pad * span)
    if ceiling is not None:
        high = min(high, ceiling + pad * span)
    return low, high


def legend_outside(fig, ax, extra: Sequence = (), **kwargs) -> None:
    """One legend for the figure, right of the panels (constrained layout makes room for it):
    the labelled artists of `ax`, then `extra` artists (labelled proxies, e.g. a marker's meaning).
    """
    handles, labels = ax.get_legend_handles_labels()
    handles += list(extra)
    labels += [artist.get_label() for artist in extra]
    if handles:
        fig.legend(handles, labels, loc="outside right upper", fontsize=7, **kwargs)


__all__ = [
    "FEW_ITEMS",
    "FEW_MARK",
    "Figure",
    "annotated_heatmap",
    "data_limits",
    "figure",
    "legend_outside",
    "text_colour",
]
