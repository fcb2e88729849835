"""Memory score R and memory levels (arXiv 2409.15825).

R of a fact = hits / (templates x samples): the share of sampled completions, over every template,
that contain the object. Levels bin R by increasing edges e_0 < e_1 < ... < e_K: level 0 holds R <=
e_0 (with the paper's e_0 = 0, exactly the facts never recalled), level k holds e_{k-1} < R <= e_k.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from sftlab.evaluate.match import MIN_CONTAINED_CHARS, MatchSettings, too_short

PAPER_BINS = (0.0, 0.25, 0.5, 0.75, 1.0)  # 0 | (0, .25] | (.25, .5] | (.5, .75] | (.75, 1]


def check_bins(bins: Sequence[float]) -> list[float]:
    edges = [float(b) for b in bins]
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError(f"level bins must be at least two strictly increasing edges, got {bins}")
    if edges[0] < 0 or edges[-1] < 1:
        raise ValueError(f"level bins must start at >= 0 and end at >= 1, got {bins}")
    return edges


def n_levels(bins: Sequence[float]) -> int:
    return len(bins)


def level_of(
    scores: Sequence[float] | np.ndarray, bins: Sequence[float] = PAPER_BINS
) -> np.ndarray:
    """Level per score: 0 for R <= bins[0], k for bins[k-1] < R <= bins[k]."""
    edges = np.asarray(check_bins(bins))
    values = np.asarray(scores, dtype=float)
    if np.any((values < 0) | (values > edges[-1]) | np.isnan(values)):
        raise ValueError("memory scores must lie in [0, last bin edge]")
    return np.searchsorted(edges, values, side="left").astype(np.int8)


def memory_scores(probe: pl.DataFrame, templates_per_relation: dict[str, int]) -> pl.DataFrame:
    """Per fact: hits, completions, templates and R, from a probe table.

    Sampled probes (columns hits, samples) give R = sum(hits) / sum(samples); a teacher-forcing
    table (column prob) gives R = mean probability over templates. A fact probed with fewer
    templates than its relation has is an error: a partial probe would bias R upwards or downwards
    silently.
    """
    if "hits" in probe.columns:
        out = probe.group_by("fact_id", "relation").agg(
            pl.col("hits").sum(),
            pl.col("samples").sum().alias("completions"),
            pl.len().alias("templates"),
        )
        out = out.with_columns((pl.col("hits") / pl.col("completions")).alias("R"))
    else:
        out = probe.group_by("fact_id", "relation").agg(
            pl.col("prob").mean().alias("R"), pl.len().alias("templates")
        )
    expected = pl.col("relation").replace_strict(templates_per_relation, default=None)
    short = out.filter(pl.col("templates") != expected)
    if short.height:
        example = short.row(0, named=True)
        raise ValueError(
            f"{short.height} fact(s) probed with the wrong number of templates, e.g. {example}"
        )
    return out.sort("fact_id")


def assign_levels(scores: pl.DataFrame, bins: Sequence[float] = PAPER_BINS) -> pl.DataFrame:
    return scores.with_columns(pl.Series("level", level_of(scores["R"].to_numpy(), bins)))


def level_counts(levels: pl.DataFrame, bins: Sequence[float], by: str = "subset") -> pl.DataFrame:
    """Facts per (by, level), every level listed (0 where empty), with the share within `by`."""
    grid = pl.DataFrame({"level": list(range(n_levels(bins)))}, schema={"level": pl.Int8})
    keys = levels.select(by).unique().sort(by)
    counts = levels.group_by(by, "level").agg(pl.len().alias("facts"))
    out = keys.join(grid, how="cross").join(counts, on=[by, "level"], how="left").fill_null(0)
    total = pl.col("facts").sum().over(by)
    return out.with_columns((pl.col("facts") / total).fill_nan(0.0).alias("share")).sort(
        by, "level"
    )


def probe_subsets(facts: pl.DataFrame) -> pl.DataFrame:
    """The facts the study levels, with a `subset` column: in-domain train, in-domain and OOD
    test.
    """
    split, domain = pl.col("split"), pl.col("domain")
    subset = (
        pl.when((split == "train") & (domain == "in"))
        .then(pl.lit("train"))
        .when((split == "test") & (domain == "in"))
        .then(pl.lit("in"))
        .when((split == "test") & (domain == "ood"))
        .then(pl.lit("ood"))
    )
    return facts.with_columns(subset.alias("subset")).filter(pl.col("subset").is_not_null())


def short_gold_warning(levels: pl.DataFrame, settings: MatchSettings) -> str | None:
    """A warning naming the facts whose gold answers are too short for containment matching (see
    sftlab.evaluate.match.too_short), with their mean R against the others', or None.

    `levels` has columns fact_id, relation, answers (list of str) and R.
    """
    short = levels.with_columns(
        pl.col("answers")
        .map_elements(lambda a: any(too_short(x, settings) for x in a), return_dtype=pl.Boolean)
        .alias("_short")
    )
    hits = short.filter(pl.col("_short"))
    if hits.is_empty():
        return None
    others = short.filter(~pl.col("_short"))
    per_relation = dict(hits.group_by("relation").len().sort("relation").iter_rows())
    examples = [f"{r['fact_id']} {list(r['answers'])}" for r in hits.head(3).iter_rows(named=True)]
    other_r = f"{others['R'].mean():.2f}" if others.height else "n/a"
    return (
        f"{hits.height} fact(s) have a gold answer shorter than {MIN_CONTAINED_CHARS} characters "
        f"after normalisation, which containment matching finds inside ordinary words by chance "
        f"(mean R {hits['R'].mean():.2f}, other facts {other_r}); per relation {per_relation}, "
        f"e.g. {'; '.join(examples)}. Give them longer answers or aliases, drop them, or set "
        "evaluate.qa.normalize.whole_words: true"
    )
