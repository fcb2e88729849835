"""evaluate_qa: greedy short-answer QA of a model (with its adapter, or the base model) on every
test set of its run, with one model load.

Inputs:  qa        QA test items per test set, in params.testsets order (parquet: item_id or
                   fact_id, question or prompt, answers, groups)
         adapter   the run's adapter folder (none for the base model)
         model     the model folder (local models) or the hub model's fetch marker
Outputs: per_item  results/runs/{study}/{model}/{arm}_s{seed}/eval_{testset}.parquet per test set
                   (item_id, prediction, correct, prompt_hash, group columns)
         summary   .../eval_{testset}.json per test set (accuracy overall and per group, settings,
                   provenance)
Params:  model     the model entry (models.<name>)
         testsets  the test set names (memory.plan.TESTSETS), aligned with qa and the outputs
         settings  evaluate.qa + evaluate.batch_size (speed-only)
         group_by  the item columns accuracy is grouped by (the study's)
"""

import logging

import polars as pl
import torch

from sftlab.evaluate.qa import QASettings, evaluate_qa, summarise_qa
from sftlab.gpu_slots import claim_gpus
from sftlab.io import provenance, write_json, write_parquet
from sftlab.lm.load import load_model, log_peak_gpu_memory
from sftlab.logs import setup_logging
from sftlab.skip import skip_reason, skipped_evaluation

log = logging.getLogger("evaluate_qa")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    claim_gpus(snakemake.resources.gpu)  # this job's own GPU on a shared workstation
    torch.set_num_threads(snakemake.threads)
    settings = QASettings.from_dict(snakemake.params.settings)
    adapter = snakemake.input.adapter or None
    log.info("settings: %s; model: %s; adapter: %s", settings, snakemake.params.model, adapter)
    group_by = list(snakemake.params.group_by)
    w = snakemake.wildcards
    run = f"{w.arm}_s{w.seed}"
    per_testset = list(
        zip(
            snakemake.params.testsets,
            snakemake.input.qa,
            snakemake.output.per_item,
            snakemake.output.summary,
            strict=True,
        )
    )
    reason = skip_reason(adapter)
    model = tokenizer = origin = None
    if reason:  # the fine-tune had nothing to train on (sftlab.skip)
        log.warning("skipped: the run's fine-tune was skipped (%s)", reason)
    else:
        model, tokenizer = load_model(snakemake.params.model, adapter=adapter)
        origin = provenance(model=snakemake.params.model, adapter=adapter)  # one for every set
    for testset, items_path, per_item_path, summary_path in per_testset:
        items = pl.read_parquet(items_path)
        if reason:
            per_item, summary = skipped_evaluation(
                items, group_by, reason, model=w.model, run=run, testset=testset
            )
        else:
            per_item = evaluate_qa(model, tokenizer, items, settings, group_by=group_by)
            summary = summarise_qa(
                per_item,
                group_by,
                model=w.model,
                run=run,
                testset=testset,
                settings=snakemake.params.settings,
                provenance=origin,
            )
            log.info("%s: accuracy %.4f over %d items", testset, summary["acc"], summary["n"])
        write_parquet(per_item_path, per_item)
        write_json(summary_path, summary)
    if not reason:
        log_peak_gpu_memory()


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
