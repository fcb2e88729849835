"""sample_memory_set: a level-pure SFT set, n training facts of one memory level, balanced across
training relations.

A level with fewer facts than n is written as it is (never padded) and flagged `short` in the
report, the log and the summary; a level with none is written empty and flagged `empty` (its
fine-tunes and evaluations are skipped, see sftlab.skip).

Inputs:  levels  results/memory/{model}/levels.parquet
Outputs: set     results/memory/{model}/sets/L{level}_n{n}_s{seed}.jsonl (TRL prompt-completion
                 plus provenance columns)
         report  results/memory/{model}/sets/L{level}_n{n}_s{seed}.json (requested vs written)
Params:  format  memory.format (the prompt format)
"""

import logging

import polars as pl

from sftlab.io import provenance, write_json, write_jsonl
from sftlab.logs import setup_logging
from sftlab.memory.sets import populated_levels, sample_level_set, sft_records

log = logging.getLogger("sample_memory_set")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    w = snakemake.wildcards
    level, seed = int(w.level), int(w.seed)
    n = None if w.n == "all" else int(w.n)
    levels = pl.read_parquet(snakemake.input.levels).filter(pl.col("subset") == "train")
    relations = sorted(levels["relation"].unique())
    facts, report = sample_level_set(levels, level, n, seed, relations)
    if report["short"] and not report["empty"]:
        log.warning(
            "level %d has %d training facts, fewer than n=%s: the set holds %d (not padded)",
            level,
            report["level_size"],
            w.n,
            report["written"],
        )
    if facts.is_empty():
        log.warning(
            "level %d of model %s has no training facts: its set is empty, and its fine-tunes and "
            "evaluations are skipped (listed in results/memory/short_sets.json). To drop them from "
            "the plan, set memory.train_levels to the levels that have facts: %s",
            level,
            w.model,
            populated_levels(levels),
        )
    version = levels["templates_version"][0] if levels.height else None
    rows = sft_records(
        facts,
        snakemake.params.format,
        {"model": w.model, "set_seed": seed, "templates_version": version},
    )
    write_jsonl(snakemake.output.set, rows)
    write_json(
        snakemake.output.report, provenance(model=w.model, format=snakemake.params.format, **report)
    )
    log.info("wrote %d examples: %s", len(rows), report["taken_per_relation"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
