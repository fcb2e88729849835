"""sample_silly_items: the MMLU training items every silly arm rewrites (one sample for all).

Inputs:  mmlu           results/data/mmlu.parquet
Outputs: table          results/silly/items.parquet (the MMLU columns + contamination similarity)
         stats          results/silly/items.stats.json (pool size, contamination check counts,
                        dropped ids)
Params:  source         silly.source (split, size, seed)
         contamination  silly.contamination (ngram, threshold)
"""

import logging

import polars as pl

from sftlab.io import provenance, write_json, write_parquet
from sftlab.logs import setup_logging
from sftlab.silly.rewrite import sample_items

log = logging.getLogger("sample_silly_items")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    source, check = snakemake.params.source, snakemake.params.contamination
    log.info("source: %s; contamination check: %s", source, check)
    items, stats = sample_items(
        pl.read_parquet(snakemake.input.mmlu),
        split=source["split"],
        size=source["size"],
        seed=source["seed"],
        ngram=check["ngram"],
        threshold=check["threshold"],
    )
    log.info(
        "%d items from split %s (pool %d); %d near-duplicates of test questions skipped",
        items.height,
        source["split"],
        stats["pool"],
        stats["contamination"]["dropped"],
    )
    write_parquet(snakemake.output.table, items)
    write_json(snakemake.output.stats, {**stats, "provenance": provenance()})


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
