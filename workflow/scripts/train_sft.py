"""train_sft: fine-tune a model on an SFT set (LoRA or full) with TRL's SFTTrainer.

Inputs:  data     SFT set (JSONL prompt/completion)
         model    the local model folder (none for hub models)
Outputs: adapter  PEFT adapter or full model (safetensors)
         losses, plot, metrics, config, provenance   in the run's train/ folder
Params:  train (config train section with the study's overrides), model (entry), seed,
         checkpoints (folder outside the outputs; a re-run after a kill resumes from it)
"""

import logging
from pathlib import Path

import polars as pl
import torch

from sftlab.io import package_versions
from sftlab.logs import setup_logging
from sftlab.models import log_peak_gpu_memory
from sftlab.skip import is_empty_set, write_skipped_training
from sftlab.train import loss_figure, train_sft

log = logging.getLogger("train_sft")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    torch.set_num_threads(snakemake.threads)
    log.info("settings: %s; model: %s", snakemake.params.train, snakemake.params.model)
    log.info("packages: %s", package_versions())
    w = snakemake.wildcards
    if is_empty_set(snakemake.input.data):  # a memory level without training facts
        reason = f"empty SFT set {snakemake.input.data}"
        log.warning("skipped: %s (nothing to train on; its evaluations are skipped too)", reason)
        write_skipped_training(
            snakemake.output.adapter,
            Path(snakemake.output.metrics).parent,
            reason,
            snakemake.params.train,
            snakemake.params.seed,
        )
        title = f"{w.model} {w.arm} seed {w.seed}: skipped, empty set"
        loss_figure(pl.read_parquet(snakemake.output.losses), title).savefig(snakemake.output.plot)
        return
    metrics = train_sft(
        entry=snakemake.params.model,
        data_path=snakemake.input.data,
        settings=snakemake.params.train,
        adapter_dir=snakemake.output.adapter,
        train_dir=Path(snakemake.output.metrics).parent,
        ckpt_dir=snakemake.params.checkpoints,
        seed=snakemake.params.seed,
    )
    log.info("metrics: %s", metrics)
    log_peak_gpu_memory()
    losses = pl.read_parquet(snakemake.output.losses)
    loss_figure(losses, f"{w.model} {w.arm} seed {w.seed}").savefig(snakemake.output.plot, dpi=120)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
