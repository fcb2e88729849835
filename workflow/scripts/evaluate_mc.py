"""evaluate_mc: MMLU multiple choice by log-likelihood (lm-evaluation-harness `mmlu` format).

Inputs:  mmlu      results/data/mmlu.parquet (test items; dev items are the few-shot exemplars)
         adapter   the run's adapter folder (none for the base model)
         model     the model folder (local models) or the hub model's fetch marker
Outputs: per_item  results/runs/{study}/{model}/{arm}_s{seed}/mmlu.parquet (prediction, four
                   log-likelihoods, correct, prompt_hash)
         summary   .../mmlu.json (accuracy per subject and category, micro and macro, settings,
                   provenance)
Params:  model     the model entry (models.<name>)
         settings  evaluate.mc + evaluate.batch_size (speed-only)
"""

import logging

import polars as pl
import torch

from sftlab.evaluate.mc import MCSettings, evaluate_mc, summarise_mc
from sftlab.gpu_slots import claim_gpus
from sftlab.io import provenance, write_json, write_parquet
from sftlab.lm.load import load_model, log_peak_gpu_memory
from sftlab.logs import setup_logging

log = logging.getLogger("evaluate_mc")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    claim_gpus(snakemake.resources.gpu)  # this job's own GPU on a shared workstation
    torch.set_num_threads(snakemake.threads)
    settings = MCSettings(**snakemake.params.settings)
    adapter = snakemake.input.adapter or None
    log.info("settings: %s; model: %s; adapter: %s", settings, snakemake.params.model, adapter)
    model, tokenizer = load_model(snakemake.params.model, adapter=adapter)
    per_item = evaluate_mc(model, tokenizer, pl.read_parquet(snakemake.input.mmlu), settings)
    log_peak_gpu_memory()
    w = snakemake.wildcards
    summary = summarise_mc(
        per_item,
        settings,
        model=w.model,
        run=f"{w.arm}_s{w.seed}",
        provenance=provenance(model=snakemake.params.model, adapter=adapter),
    )
    log.info(
        "accuracy %.4f (macro %.4f) over %d items",
        summary["acc_micro"],
        summary["acc_macro"],
        summary["n"],
    )
    write_parquet(snakemake.output.per_item, per_item)
    write_json(snakemake.output.summary, summary)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
