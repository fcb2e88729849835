"""Memory score R and memory level of every probed fact (plus its SliCK category when probed).

Inputs: facts, probe (sampled hits or teacher-forced probabilities), templates, optionally slick.
Outputs: levels (fact_id, relation, subject, subset, R, level, [slick, p_greedy, p_sample]), counts
(facts per subset x level, CSV), and agreement (memory level x SliCK category counts, CSV) when
SliCK ran. Params: bins, estimator, match (the QA normalisation: facts whose gold answers are too
short for containment matching are named in a warning).
"""

import logging

import polars as pl

from sftlab.evaluate.match import MatchSettings
from sftlab.io import atomic_path, write_parquet
from sftlab.logs import setup_logging
from sftlab.memory.levels import (
    assign_levels,
    level_counts,
    memory_scores,
    probe_subsets,
    short_gold_warning,
)
from sftlab.memory.slick import agreement_table
from sftlab.memory.templates import load_templates

log = logging.getLogger("assign_levels")


def write_csv(path, frame: pl.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.write_csv(tmp)


def main(smk) -> None:
    setup_logging(smk.log[0])
    bins = smk.params.bins
    templates = load_templates(smk.input.templates)
    counts = {rel: len(t) for rel, t in templates.by_relation.items()}
    scores = memory_scores(pl.read_parquet(smk.input.probe), counts)
    facts = probe_subsets(pl.read_parquet(smk.input.facts)).select(
        "fact_id", "subject", "question", "answers", "subset"
    )
    levels = assign_levels(scores, bins).join(facts, on="fact_id", how="inner")
    levels = levels.with_columns(
        estimator=pl.lit(smk.params.estimator), templates_version=pl.lit(templates.version)
    )
    if smk.input.get("slick"):
        slick = pl.read_parquet(smk.input.slick).select("fact_id", "slick", "p_greedy", "p_sample")
        levels = levels.join(slick, on="fact_id", how="left")
        write_csv(smk.output.agreement, agreement_table(levels))
    warning = short_gold_warning(levels, MatchSettings.from_dict(smk.params.match))
    if warning:
        log.warning("%s", warning)
    table = level_counts(levels, bins)
    log.info("facts per subset and level (estimator %s):\n%s", smk.params.estimator, table)
    write_parquet(smk.output.levels, levels.sort("subset", "fact_id"))
    write_csv(smk.output.counts, table)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
