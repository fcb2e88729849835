"""Figures: plot functions take tidy tables and return matplotlib Figures; only the rule adapters
save them.

Shared style lives here: `figure` (a grid of axes, sized per panel) and `annotated_heatmap` (a heat
map with the numbers written in its cells, diverging around `center` when given).
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
):
    """Draw `matrix` on `ax` with each finite value written in its cell; NaN cells stay blank."""
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
        low, high = image.norm.vmin, image.norm.vmax
        for (i, j), value in np.ndenumerate(data):
            if np.isfinite(value):
                shade = (value - low) / (high - low) if high and high > low else 0.5
                ax.text(
                    j,
                    i,
                    fmt.format(value),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if shade < 0.5 else "black",
                )
    if colorbar_label is not None:
        ax.figure.colorbar(image, ax=ax, label=colorbar_label, shrink=0.8)
    return image


__all__ = ["Figure", "annotated_heatmap", "figure"]
