"""build_memory_testsets: the QA test items of one test set (in-domain or OOD) for evaluate_qa,
grouped by test memory level.

Inputs:  levels   results/memory/{model}/levels.parquet
         aliases  memory.aliases (alias table of gold answers)
Outputs: testset  results/memory/{model}/test_{testset}.parquet (item_id, prompt in the training
                  format, answers = gold + aliases, group = memory level, relation)
Params:  format   memory.format (the training prompt format)
         match    evaluate.qa.normalize
"""

import logging

import polars as pl

from sftlab.evaluate.match import MatchSettings
from sftlab.io import write_parquet
from sftlab.logs import setup_logging
from sftlab.memory.sets import qa_items
from sftlab.memory.templates import load_aliases

log = logging.getLogger("build_memory_testsets")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    match = MatchSettings.from_dict(snakemake.params.match)
    aliases = load_aliases(snakemake.input.aliases, match)
    levels = pl.read_parquet(snakemake.input.levels).filter(
        pl.col("subset") == snakemake.wildcards.testset
    )
    items = qa_items(levels.sort("fact_id"), snakemake.params.format, aliases.expand)
    log.info(
        "%d items per level: %s", items.height, dict(items.group_by("group").len().iter_rows())
    )
    write_parquet(snakemake.output.testset, items)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
