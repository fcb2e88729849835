"""build_plain_set: the paper's baseline, the same MMLU items as SFT examples without any rule.

Inputs:  items  results/silly/items.parquet
Outputs: set    results/silly/sets/plain.jsonl (completion: " {letter}")
         stats  results/silly/sets/plain.stats.json
Params:  chat (evaluate.mc.chat_template: the set uses chat messages)
"""

import logging

import polars as pl

from sftlab.io import provenance, write_json, write_jsonl
from sftlab.logs import setup_logging
from sftlab.silly.baselines import plain_examples

log = logging.getLogger("build_plain_set")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    items = pl.read_parquet(snakemake.input.table).to_dicts()
    examples = plain_examples(items, snakemake.params.chat)
    log.info("plain: %d examples", len(examples))
    write_jsonl(snakemake.output.set, examples)
    stats = {"arm": "plain", "generator": "plain", "items": len(items)}
    stats["counts"] = {"requested": len(items), "kept": len(examples)}
    write_json(snakemake.output.stats, {**stats, "provenance": provenance()})


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
