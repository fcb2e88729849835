"""Figures of the memory study (arXiv 2409.15825). Each function takes tidy tables, returns a
Figure.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.lines import Line2D
from scipy.stats import spearmanr

from sftlab.memory.summary import n_order
from sftlab.plots import (
    FEW_ITEMS,
    FEW_MARK,
    Figure,
    annotated_heatmap,
    data_limits,
    figure,
    legend_outside,
    text_colour,
)

TESTSET_NAMES = {"in": "in-domain test", "ood": "out-of-domain test"}


def _level_labels(values) -> list[str]:
    return sorted(
        {str(v) for v in values}, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else v)
    )


def short_sizes(summary: pl.DataFrame) -> dict[tuple[str, str, str], int]:
    """(model, train level, n) -> the size of sets that fell short of n (the level had too few
    facts); empty for a summary without the `short` column.
    """
    if "short" not in summary.columns:
        return {}
    rows = summary.filter(pl.col("short")).group_by("model", "train_level", "n")
    return {
        (m, lv, n): int(size) for m, lv, n, size in rows.agg(pl.col("n_train").min()).iter_rows()
    }


def accuracy_vs_n(summary: pl.DataFrame) -> Figure:
    """Headline accuracy (macro over test levels) against training-set size, one line per training
    level.

    Rows: models; columns: test sets. Lines are the mean over seeds with a +-1 std band; the dashed
    line is the base model on the same prompts. The y axis fits the data. A set smaller than its n
    (its level has too few facts) is a hollow marker labelled with its real size.
    """
    macro = summary.filter(pl.col("test_level") == "macro")
    models = sorted(macro["model"].unique())
    testsets = sorted(macro["testset"].unique())
    fig, axes = figure(len(models), len(testsets))
    trained = macro.filter(pl.col("train_level") != "base")
    sizes = n_order(trained["n"].to_list())
    levels = _level_labels(trained["train_level"].to_list())
    colours = {lv: f"C{i}" for i, lv in enumerate(levels)}
    short = short_sizes(summary)
    shown = []  # every plotted value, for one shared y range
    for r, model in enumerate(models):
        for c, testset in enumerate(testsets):
            ax = axes[r, c]
            part = macro.filter((pl.col("model") == model) & (pl.col("testset") == testset))
            stats = part.group_by("train_level", "n").agg(
                pl.col("accuracy").mean().alias("mean"),
                pl.col("accuracy").std().fill_null(0).alias("std"),
            )
            for level in levels:
                rows = {
                    row["n"]: row
                    for row in stats.filter(pl.col("train_level") == level).iter_rows(named=True)
                }
                xs = [i for i, n in enumerate(sizes) if n in rows]
                mean = np.array([rows[sizes[i]]["mean"] for i in xs])
                std = np.array([rows[sizes[i]]["std"] for i in xs])
                shown += [*(mean - std), *(mean + std)]
                colour = colours[level]
                ax.plot(xs, mean, marker="o", color=colour, label=f"train level {level}")
                ax.fill_between(xs, mean - std, mean + std, color=colour, alpha=0.15, lw=0)
                for x, y in zip(xs, mean, strict=True):
                    size = short.get((model, level, sizes[x]))
                    if size is not None:
                        ax.plot(x, y, marker="o", ms=9, mfc="white", mec=colour, zorder=3)
                        ax.annotate(
                            str(size), (x, y), xytext=(6, -3), textcoords="offset points",
                            fontsize=7, color=colour,
                        )  # fmt: skip
            base = part.filter(pl.col("train_level") == "base")["accuracy"]
            if base.len():
                shown.append(float(base.mean()))
                ax.axhline(float(base.mean()), color="grey", ls="--", lw=1, label="base model")
            ax.set_xticks(range(len(sizes)), labels=sizes)
            ax.set_xlabel("training examples n")
            ax.set_ylabel("accuracy (macro over test levels)")
            ax.set_title(f"{model}: {TESTSET_NAMES.get(testset, testset)}")
    low, high = data_limits(shown)
    for ax in axes.flat:
        ax.set_ylim(low, high)
    hollow = Line2D(
        [], [], ls="", marker="o", ms=9, mfc="white", mec="grey",
        label="set smaller than n\n(real size written)",
    )  # fmt: skip
    legend_outside(fig, axes[0, 0], extra=[hollow] if short else [])
    return fig


def level_heatmap(summary: pl.DataFrame, model: str) -> Figure:
    """Training level x test level accuracy (mean over seeds) of one model; rows: test sets, cols:
    n.

    One colour scale fitted to the data serves every panel. Test-level ticks give the item count;
    cells resting on fewer than FEW_ITEMS items carry FEW_MARK; a training level whose set fell
    short of n has a red tick with the set's real size.
    """
    part = summary.filter(
        (pl.col("model") == model)
        & (pl.col("train_level") != "base")
        & (pl.col("test_level") != "macro")
    )
    testsets = sorted(part["testset"].unique())
    sizes = n_order(part["n"].to_list())
    train_levels = _level_labels(part["train_level"].to_list())
    test_levels = _level_labels(part["test_level"].to_list())
    fig, axes = figure(len(testsets), len(sizes), panel=(3.6, 3.2))
    means = part.group_by("testset", "n", "train_level", "test_level").agg(
        pl.col("accuracy").mean(), pl.col("items").min()
    )
    low, high = data_limits(means["accuracy"], pad=0.0)
    short = short_sizes(summary)
    for r, testset in enumerate(testsets):
        items = dict(
            means.filter(pl.col("testset") == testset)
            .group_by("test_level")
            .agg(pl.col("items").min())
            .iter_rows()
        )
        few = np.array([[items.get(te, 0) < FEW_ITEMS for te in test_levels]] * len(train_levels))
        for c, n in enumerate(sizes):
            cells = {
                (row["train_level"], row["test_level"]): row["accuracy"]
                for row in means.filter(
                    (pl.col("testset") == testset) & (pl.col("n") == n)
                ).iter_rows(named=True)
            }
            matrix = np.array(
                [[cells.get((tr, te), np.nan) for te in test_levels] for tr in train_levels]
            )
            ax = axes[r, c]
            sized = [
                f"{tr} ({short[(model, tr, n)]})" if (model, tr, n) in short else tr
                for tr in train_levels
            ]
            annotated_heatmap(
                ax, matrix, sized, [f"{te}\n{items.get(te, 0)} items" for te in test_levels],
                vmin=low, vmax=high, cmap="viridis", marks=few,
                colorbar_label="accuracy" if c == len(sizes) - 1 else None,
            )  # fmt: skip
            for label, tr in zip(ax.get_yticklabels(), train_levels, strict=True):
                if (model, tr, n) in short:
                    label.set_color("C3")
            ax.tick_params(axis="x", labelsize=7)
            ax.set_xlabel("test memory level")
            ax.set_ylabel("training memory level")
            ax.set_title(f"{TESTSET_NAMES.get(testset, testset)}, n={n}", fontsize=9)
    notes = [f"{model}: accuracy, mean over seeds"]
    if (means["items"] < FEW_ITEMS).any():
        notes.append(f"{FEW_MARK} fewer than {FEW_ITEMS} test items")
    if any(key[0] == model for key in short):
        notes.append("red level (size): set smaller than n")
    fig.suptitle("\n".join(notes), fontsize=9)
    return fig


def level_distribution(counts: pl.DataFrame) -> Figure:
    """Share of facts per memory level (models x levels), one panel per subset (train, in, ood)."""
    names = {"train": "training pool", "in": "in-domain test", "ood": "out-of-domain test"}
    subsets = [s for s in names if s in set(counts["subset"])]
    models = sorted(counts["model"].unique())
    levels = sorted(counts["level"].unique())
    fig, axes = figure(1, len(subsets), panel=(3.2 + 0.4 * len(levels), 1.8 + 0.45 * len(models)))
    for c, subset in enumerate(subsets):
        part = counts.filter(pl.col("subset") == subset)
        cells = {(r["model"], r["level"]): r["share"] for r in part.iter_rows(named=True)}
        matrix = np.array([[100 * cells.get((m, lv), np.nan) for lv in levels] for m in models])
        ax = axes[0, c]
        annotated_heatmap(
            ax,
            matrix,
            models,
            [str(lv) for lv in levels],
            fmt="{:.0f}",
            cmap="magma",
            vmin=0,
            vmax=data_limits(100 * counts["share"], pad=0.0, ceiling=100.0)[1],
            colorbar_label="% of facts" if c == len(subsets) - 1 else None,
        )
        ax.set_xlabel("memory level")
        ax.set_title(
            f"{subset} facts ({part['facts'].sum() // max(len(models), 1)} per model)", fontsize=9
        )
    return fig


def level_transitions(
    levels_a: pl.DataFrame,
    levels_b: pl.DataFrame,
    a: str,
    b: str,
    n_levels: int,
    subset: str = "train",
) -> Figure:
    """Counts of shared facts by (level under model a, level under model b); colour = row share.

    Only the facts of `subset` (levels.parquet's column; "train": the SFT pool, as the paper's
    Fig. 4), so the transitions describe the facts fine-tuning draws from, not the test facts.
    """
    parts = [lv.filter(pl.col("subset") == subset) for lv in (levels_a, levels_b)]
    joined = (
        parts[0]
        .select("fact_id", pl.col("level").alias("a"))
        .join(parts[1].select("fact_id", pl.col("level").alias("b")), on="fact_id")
    )
    counts = np.zeros((n_levels, n_levels))
    for la, lb in joined.select("a", "b").iter_rows():
        counts[la, lb] += 1
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, axes = figure(1, 1, panel=(4.6, 3.8))
    ax = axes[0, 0]
    labels = [str(i) for i in range(n_levels)]
    annotated_heatmap(
        ax,
        share,
        labels,
        labels,
        fmt="{:.2f}",
        cmap="Blues",
        vmin=0,
        vmax=1,
        colorbar_label=f"share of the {a} level's facts",
    )
    for (i, j), value in np.ndenumerate(counts):
        colour = text_colour(ax.images[0].cmap(ax.images[0].norm(share[i, j])))
        ax.text(j, i + 0.3, f"n={int(value)}", ha="center", va="center", fontsize=6, color=colour)
    ax.set_xlabel(f"memory level under {b}")
    ax.set_ylabel(f"memory level under {a}")
    stay = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(
        f"{a} -> {b}: {int(counts.sum())} {subset} facts, {100 * stay:.0f}% same level", fontsize=9
    )
    return fig


EXPOSURE_BUCKETS = ((0, 0), (1, 2), (3, 7), (8, 15), (16, 31), (32, 64), (65, 10**9))


def exposure_scatter(frame: pl.DataFrame, model: str) -> Figure:
    """Memory score R against the known pretraining exposure of each demo fact, coloured by level.

    Exposure is jittered multiplicatively on a symmetric-log axis; the black line joins the median R
    of exposure buckets (0, 1-2, 3-7, 8-15, 16-31, 32-64), drawn at the bucket's median exposure.
    """
    rho = spearmanr(frame["exposure"].to_numpy(), frame["R"].to_numpy()).statistic
    fig, axes = figure(1, 1, panel=(6.8, 3.8))
    ax = axes[0, 0]
    rng = np.random.default_rng(0)  # jitter only separates overlapping points
    exposure = frame["exposure"].to_numpy().astype(float)
    x = np.where(
        exposure > 0,
        exposure * rng.uniform(0.9, 1.1, frame.height),
        rng.uniform(-0.2, 0.2, frame.height),
    )
    levels = frame["level"].to_numpy()
    for level in sorted(set(levels.tolist())):
        mask = levels == level
        ax.scatter(
            x[mask],
            frame["R"].to_numpy()[mask],
            s=8,
            alpha=0.6,
            color=f"C{level}",
            label=f"level {level}",
        )
    xs, ys = [], []
    for low, high in EXPOSURE_BUCKETS:
        part = frame.filter(pl.col("exposure").is_between(low, high))
        if part.height:
            xs.append(float(part["exposure"].median()))
            ys.append(float(part["R"].median()))
    ax.plot(xs, ys, color="black", lw=1.5, marker="s", label="median R per exposure bucket")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("exposure (times the fact is stated in the pretraining corpus)")
    ax.set_ylabel("memory score R")
    ax.set_ylim(-0.02, 1.02)
    legend_outside(fig, ax)
    ax.set_title(
        f"{model}: R vs exposure, Spearman rho = {rho:.3f} ({frame.height} facts)", fontsize=9
    )
    return fig
