"""train_sft: fine-tune a model on an SFT set (LoRA or full) with TRL's SFTTrainer. With gpus > 1
on a CUDA machine the fine-tune runs as one FSDP rank per GPU (sftlab.train.launch).

Inputs:  data         the SFT set (JSONL prompt/completion)
         model        the model folder (local models) or the hub model's fetch marker
         launch       the accelerate launcher config (only when the model entry asks for gpus > 1)
Outputs: adapter      results/runs/{study}/{model}/{arm}_s{seed}/adapter/ (PEFT adapter or the full
                      model, safetensors)
         losses       train/loss.parquet of the run
         plot         train/loss.png
         metrics      train/metrics.json (its folder also receives config.yaml, provenance.json)
         config       train/config.yaml (resolved settings)
         provenance   train/provenance.json
Params:  train        the study's effective train section (sftlab.config.study_train)
         model        the model entry (models.<name>)
         seed         the run's seed
         checkpoints  folder outside the outputs; a re-run after a kill resumes from it
"""

import logging
import os
from pathlib import Path

import polars as pl
import torch

from sftlab.gpu_slots import claim_gpus
from sftlab.io import package_versions
from sftlab.lm.load import log_peak_gpu_memory
from sftlab.logs import setup_logging
from sftlab.skip import is_empty_set, write_skipped_training
from sftlab.train import loss_figure, train_sft
from sftlab.train.launch import train_sft_launched

log = logging.getLogger("train_sft")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    gpus = snakemake.resources.gpu
    claim_gpus(gpus)  # before CUDA starts: this job's own devices on a shared workstation
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
    job = dict(
        entry=snakemake.params.model,
        data_path=snakemake.input.data,
        settings=snakemake.params.train,
        adapter_dir=snakemake.output.adapter,
        train_dir=str(Path(snakemake.output.metrics).parent),
        ckpt_dir=snakemake.params.checkpoints,
        seed=snakemake.params.seed,
    )
    if gpus > 1 and torch.cuda.is_available():
        # Under SLURM the job's cgroup holds its CPUs (cpus_per_task scales with the GPUs).
        cpus = len(os.sched_getaffinity(0)) if "SLURM_JOB_ID" in os.environ else snakemake.threads
        metrics = train_sft_launched(
            gpus, snakemake.input.launch, snakemake.log[0], threads=cpus, **job
        )
    else:
        if gpus > 1:
            log.warning("models.%s.gpus is %d but CUDA is absent: one process", w.model, gpus)
        metrics = train_sft(**job)
        log_peak_gpu_memory()
    log.info("metrics: %s", metrics)
    losses = pl.read_parquet(snakemake.output.losses)
    loss_figure(losses, f"{w.model} {w.arm} seed {w.seed}").savefig(snakemake.output.plot, dpi=120)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
