"""select_common_items: the items every generated arm rewrote; every arm trains on those only.

Inputs:  table           results/silly/items.parquet (the sampled items, in order)
         sets            results/silly/sets/generated/{arm}.jsonl of every rule and of neutral
Outputs: common          results/silly/sets/common_items.json (kept ids; per-arm generated and
                         failed counts)
Params:  arms            the arms, in the order of `sets`
         min_kept_share  silly.min_kept_share (fail below it)
"""

import logging

import polars as pl

from sftlab.io import provenance, read_jsonl, write_json
from sftlab.logs import setup_logging
from sftlab.silly.align import common_items

log = logging.getLogger("select_common_items")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    arms = snakemake.params.arms
    sets = {arm: read_jsonl(path) for arm, path in zip(arms, snakemake.input.sets, strict=True)}
    item_ids = pl.read_parquet(snakemake.input.table)["item_id"].to_list()
    kept, report = common_items(sets, item_ids, snakemake.params.min_kept_share)
    log.info(
        "%d of %d items kept in every arm (%.1f%%); per arm %s",
        len(kept), len(item_ids), 100 * report["kept_share"], report["per_arm"],
    )  # fmt: skip
    write_json(snakemake.output.common, {**report, "provenance": provenance()})


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
