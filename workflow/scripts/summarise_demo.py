"""summarise_demo: the default demo's headline figures against its bars (sftlab.demo.outcome).

A bar that is not cleared is logged as a warning and recorded, not raised: a smaller or shorter
configuration of the demo is legitimate, it just shows less.

Inputs:  summary   results/memory/summary.parquet
         exposure  results/memory/demo/exposure.json (the demo model's R-vs-exposure check)
         world     results/demo/world/summary.json
         pretrain  results/demo/pretrain_summary.json
Outputs: summary   results/demo/summary.json (figures, bars, checks, timings)
Params:  model     the demo model's name
"""

import logging

import polars as pl

from sftlab.demo.outcome import demo_outcome
from sftlab.io import provenance, read_json, write_json
from sftlab.logs import setup_logging

log = logging.getLogger("summarise_demo")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    outcome = demo_outcome(
        pl.read_parquet(snakemake.input.summary),
        read_json(snakemake.input.exposure),
        snakemake.params.model,
    )
    world = read_json(snakemake.input.world)
    pretrain = read_json(snakemake.input.pretrain)
    outcome["world"] = {
        k: world.get(k) for k in ("facts", "facts_per_split", "corpus_documents", "qa_documents")
    }
    outcome["pretrain"] = {
        k: pretrain.get(k)
        for k in (
            "parameters",
            "steps",
            "epochs",
            "corpus_tokens",
            "train_wall_s",
            "train_cpu_s",
            "over_max_minutes",
            "final_loss",
        )
    }
    settings = pretrain.get("settings", {})
    outcome["pretrain"]["answer_marker"] = {
        k: settings.get(k) for k in ("answer_cue", "answer_prior")
    }
    write_json(snakemake.output.summary, {**outcome, **provenance()})
    failed = [name for name, ok in outcome["checks"].items() if not ok]
    if failed:
        log.warning("demo bars not cleared: %s; figures: %s", failed, outcome)
    else:
        log.info("demo bars cleared: %s", outcome)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
