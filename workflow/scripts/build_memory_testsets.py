"""QA test items of one test set (in-domain or OOD) for evaluate_qa, grouped by test memory level.

Inputs: levels, aliases. Output: items (item_id, prompt in the training format, answers = gold +
aliases, group = memory level, relation).
"""

import logging

import polars as pl

from sftlab.evaluate.match import MatchSettings
from sftlab.io import write_parquet
from sftlab.logs import setup_logging
from sftlab.memory.sets import qa_items
from sftlab.memory.templates import load_aliases

log = logging.getLogger("build_memory_testsets")


def main(smk) -> None:
    setup_logging(smk.log[0])
    aliases = load_aliases(smk.input.aliases, MatchSettings.from_dict(smk.params.match))
    levels = pl.read_parquet(smk.input.levels).filter(pl.col("subset") == smk.wildcards.testset)
    items = qa_items(levels.sort("fact_id"), smk.params.format, aliases.expand)
    log.info(
        "%d items per level: %s", items.height, dict(items.group_by("group").len().iter_rows())
    )
    write_parquet(smk.output.testset, items)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
