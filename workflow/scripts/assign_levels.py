"""assign_levels: memory score R and memory level of every probed fact (plus its SliCK category
when probed).

Inputs:  facts      results/data/entityquestions.parquet
         probe      results/memory/{model}/probe.parquet or probe_tf.parquet (per
                    memory.probe.estimator)
         templates  memory.templates (probe templates per relation)
         slick      results/memory/{model}/slick.parquet (only with memory.slick.enabled)
Outputs: levels     results/memory/{model}/levels.parquet (fact_id, relation, subject, subset, R,
                    level, [slick, p_greedy, p_sample])
         counts     results/memory/{model}/level_counts.csv (facts per subset x level)
         agreement  results/memory/{model}/slick_agreement.csv (memory level x SliCK category
                    counts; only with SliCK)
Params:  bins       memory.levels.bins
         estimator  memory.probe.estimator
         match      evaluate.qa.normalize (facts whose gold answers are too short for containment
                    matching are named in a warning)
"""

import logging

import polars as pl

from sftlab.evaluate.match import MatchSettings
from sftlab.io import write_csv, write_parquet
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


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    bins = snakemake.params.bins
    templates = load_templates(snakemake.input.templates)
    counts = {rel: len(t) for rel, t in templates.by_relation.items()}
    scores = memory_scores(pl.read_parquet(snakemake.input.probe), counts)
    facts = probe_subsets(pl.read_parquet(snakemake.input.facts)).select(
        "fact_id", "subject", "question", "answers", "subset"
    )
    levels = assign_levels(scores, bins).join(facts, on="fact_id", how="inner")
    levels = levels.with_columns(
        estimator=pl.lit(snakemake.params.estimator), templates_version=pl.lit(templates.version)
    )
    if snakemake.input.get("slick"):
        slick = pl.read_parquet(snakemake.input.slick).select(
            "fact_id", "slick", "p_greedy", "p_sample"
        )
        levels = levels.join(slick, on="fact_id", how="left")
        write_csv(snakemake.output.agreement, agreement_table(levels))
    warning = short_gold_warning(levels, MatchSettings.from_dict(snakemake.params.match))
    if warning:
        log.warning("%s", warning)
    table = level_counts(levels, bins)
    log.info("facts per subset and level (estimator %s):\n%s", snakemake.params.estimator, table)
    write_parquet(snakemake.output.levels, levels.sort("subset", "fact_id"))
    write_csv(snakemake.output.counts, table)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
