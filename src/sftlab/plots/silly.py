"""Figures of the silly study, drawn from results/silly/deltas.parquet (see sftlab.silly.summary).

All three take the deltas table and one model, and show seed-averaged deltas in percentage points;
arms are labelled by their `label` (a rule's short name, else its id).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.patches import Rectangle

from sftlab import stats
from sftlab.plots import FEW_ITEMS, FEW_MARK, Figure, annotated_heatmap, figure, legend_outside
from sftlab.silly.summary import consistency_inputs

CATEGORY_ORDER = ("STEM", "humanities", "social sciences", "other")


def _mean_rows(deltas: pl.DataFrame, model: str, level: str) -> pl.DataFrame:
    return deltas.filter(
        (pl.col("model") == model) & (pl.col("level") == level) & pl.col("seed").is_null()
    )


def _category_key(category: str) -> int:
    return CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER)


def _rotate_xticks(ax) -> None:
    for label in ax.get_xticklabels():
        label.set(rotation=45, ha="right", rotation_mode="anchor")


def _arm_order(rows: pl.DataFrame, arms: list[str] | None) -> list[str]:
    present = list(dict.fromkeys(rows["arm"].to_list()))
    if arms is None:
        return sorted(present, key=lambda a: (a in ("neutral", "mixed"), a))
    return [a for a in arms if a in present]


def consistency_note(table: pl.DataFrame, model: str) -> str:
    """The consistency row of `model` (summary.CONSISTENCY_SCHEMA) as one line for a title."""
    rows = table.filter(pl.col("model") == model)
    if rows.is_empty() or rows["consistency"][0] is None:
        return "rule consistency: not estimated (needs >= 3 subjects and >= 2 rules)"
    row = rows.row(0, named=True)
    return (
        f"rule consistency {row['consistency']:+.2f}, permutation p = {row['p']:.3g}\n"
        f"(mean cross-half r, 0 = none; plain halves: {row['halves']})"
    )


def _labels(rows: pl.DataFrame, arms: list[str]) -> list[str]:
    label = dict(zip(rows["arm"], rows["label"], strict=True))
    return [label.get(a, a) for a in arms]


def delta_heatmap(
    deltas: pl.DataFrame, model: str, arms: list[str] | None = None, title_note: str = ""
) -> Figure:
    """Subjects (grouped by category) x arms; diverging around 0; q < alpha cells boxed in black.

    Each subject's label gives its test items; cells of a subject with fewer than FEW_ITEMS items
    carry FEW_MARK.
    """
    rows = _mean_rows(deltas, model, "subject")
    arms = _arm_order(rows, arms)
    subjects = sorted(
        set(zip(rows["group"], rows["category"], strict=True)),
        key=lambda sc: (_category_key(sc[1]), sc[0]),
    )
    index = {s: i for i, (s, _) in enumerate(subjects)}
    values = np.full((len(subjects), len(arms)), np.nan)
    significant = np.zeros_like(values, dtype=bool)
    items = dict.fromkeys(index, 0)
    for r in rows.filter(pl.col("arm").is_in(arms)).iter_rows(named=True):
        i, j = index[r["group"]], arms.index(r["arm"])
        values[i, j] = 100.0 * r["delta"]
        significant[i, j] = r["significant"]
        items[r["group"]] = r["n_items"]
    few = np.array([[items[s] < FEW_ITEMS] * len(arms) for s, _ in subjects], dtype=bool)
    height = max(3.0, 0.22 * len(subjects) + 1.6)
    fig, axes = figure(panel=(max(4.5, 0.55 * len(arms) + 3.0), height))
    ax = axes[0, 0]
    labels = [f"{s} ({c}, {items[s]} items)" for s, c in subjects]
    annotated_heatmap(
        ax, values, labels, _labels(rows, arms), fmt="{:+.1f}", cmap="RdBu", center=0.0,
        colorbar_label="delta to plain (points)", marks=few,
    )  # fmt: skip
    for i, j in zip(*np.nonzero(significant), strict=True):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", lw=2))
    _rotate_xticks(ax)
    ax.tick_params(axis="y", labelsize=7 if len(subjects) > 20 else 9)
    ax.set_xlabel("arm (rule or control)")
    ax.set_ylabel("MMLU subject (category)")
    note = f"\n{title_note}" if title_note else ""
    if few.any():
        note += f"\n{FEW_MARK} fewer than {FEW_ITEMS} test items"
    ax.set_title(f"{model}: delta to plain, mean of seeds; boxed: BH q < alpha{note}", fontsize=9)
    return fig


def category_bars(deltas: pl.DataFrame, model: str, arms: list[str] | None = None) -> Figure:
    """Per category (and all of MMLU), one bar per arm with its paired bootstrap CI."""
    rows = pl.concat([_mean_rows(deltas, model, "category"), _mean_rows(deltas, model, "all")])
    arms = _arm_order(rows, arms)
    groups = sorted(set(rows["group"]) - {"all"}, key=_category_key) + ["all"]
    fig, axes = figure(panel=(max(5.0, 1.1 * len(groups) + 2.5), 3.6))
    ax = axes[0, 0]
    width = 0.8 / max(len(arms), 1)
    colors = [f"C{i % 10}" for i in range(len(arms))]
    for j, arm in enumerate(arms):
        part = {r["group"]: r for r in rows.filter(pl.col("arm") == arm).iter_rows(named=True)}
        x = np.arange(len(groups)) + (j - (len(arms) - 1) / 2) * width
        mid = np.array([100 * part[g]["delta"] if g in part else np.nan for g in groups])
        low = np.array([100 * part[g]["ci_low"] if g in part else np.nan for g in groups])
        high = np.array([100 * part[g]["ci_high"] if g in part else np.nan for g in groups])
        ax.bar(x, mid, width, color=colors[j], label=_labels(rows, [arm])[0])
        ax.errorbar(x, mid, yerr=[mid - low, high - mid], fmt="none", ecolor="black", lw=0.8)
    ax.axhline(0.0, color="black", lw=0.8)
    items = dict(rows.group_by("group").agg(pl.col("n_items").max()).iter_rows())
    ax.set_xticks(range(len(groups)), labels=[f"{g}\n{items.get(g, 0)} items" for g in groups])
    ax.set_xlabel("MMLU category")
    ax.set_ylabel("accuracy delta to plain (points)")
    ax.set_title(f"{model}: delta per category, 95% bootstrap CI over seeds and items", fontsize=9)
    legend_outside(fig, ax, ncols=2 if len(arms) > 12 else 1)
    return fig


def rule_correlation(
    deltas: pl.DataFrame, model: str, arms: list[str] | None = None, title_note: str = ""
) -> Figure:
    """Cross-half correlation between arms of their per-subject deltas
    (`stats.cross_half_correlation`: each arm against its own half of plain, so it is zero in
    expectation when the arms do nothing; the plain correlation of deltas is not)."""
    rows = _mean_rows(deltas, model, "subject")
    arms = [a for a in _arm_order(rows, arms) if a != "mixed"]  # mixed is made of the rules
    arms, subjects, half_a, half_b = consistency_inputs(deltas, model, arms)
    if len(subjects) >= 3 and len(arms) >= 2:
        corr = stats.cross_half_correlation(half_a, half_b)
    else:
        corr = np.full((len(arms), len(arms)), np.nan)
    fig, axes = figure(panel=(max(4.5, 0.6 * len(arms) + 2.5), max(3.8, 0.5 * len(arms) + 1.8)))
    ax = axes[0, 0]
    labels = _labels(rows, arms)
    annotated_heatmap(
        ax, np.atleast_2d(corr), labels, labels, fmt="{:.2f}", cmap="RdBu", vmin=-1.0, vmax=1.0,
        colorbar_label="cross-half correlation of per-subject deltas",
    )  # fmt: skip
    _rotate_xticks(ax)
    ax.set_xlabel("arm")
    ax.set_ylabel("arm")
    note = f"\n{title_note}" if title_note else ""
    ax.set_title(f"{model}: agreement over {len(subjects)} subjects{note}", fontsize=9)
    return fig
