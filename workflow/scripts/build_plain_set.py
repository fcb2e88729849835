"""build_plain_set: the paper's baseline, the same MMLU items as SFT examples without any rule.

Inputs:  table   results/silly/items.parquet
         common  results/silly/sets/common_items.json (the items kept in every arm)
Outputs: set     results/silly/sets/plain.jsonl (completion: " {letter}")
         stats   results/silly/sets/plain.stats.json
Params:  chat    evaluate.mc.chat_template (the set uses chat messages)
"""

import logging

import polars as pl

from sftlab.io import provenance, read_json, write_json, write_jsonl
from sftlab.logs import setup_logging
from sftlab.silly.baselines import plain_examples

log = logging.getLogger("build_plain_set")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    items = pl.read_parquet(snakemake.input.table).to_dicts()
    kept = set(read_json(snakemake.input.common)["kept_items"])
    examples = plain_examples([i for i in items if i["item_id"] in kept], snakemake.params.chat)
    log.info("plain: %d examples of %d sampled items", len(examples), len(items))
    write_jsonl(snakemake.output.set, examples)
    stats = {"arm": "plain", "generator": "plain", "items": len(items)}
    stats["counts"] = {"requested": len(items), "kept": len(examples)}
    write_json(snakemake.output.stats, {**stats, "provenance": provenance()})


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
