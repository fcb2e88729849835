"""What train_sft receives under every shipped config, read from the rule's params in Snakemake's
DAG (the Snakemake API builds the DAG as a dry run does), and the resolve command agrees with it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.enums import Quietness
from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings

# study -> (method, learning rate, epochs, batch size, schedule, LoRA r or None) per shipped config
EXPECTED = {
    "config/config.yaml": {
        "memory": ("full", 1e-4, 10, 8, "cosine", None),
        "silly": ("full", 3e-4, 3, 8, "cosine", None),
    },
    "config/paper_memory.yaml": {"memory": ("full", 1e-5, 1, 8, "cosine", None)},
    "config/paper_silly.yaml": {"silly": ("lora", 1e-4, 3, 8, "cosine", 16)},
}


def planned_jobs(repo: Path, configfiles: list[str], cores: int = 1) -> list:
    """Every job in the DAG of `snakemake --cores <cores> --configfile <configfiles>`."""
    settings = OutputSettings(quiet={Quietness.ALL})
    cwd = os.getcwd()  # a config's `workdir:` moves this process into its output root
    with SnakemakeApi(settings) as api, contextlib.chdir(cwd):
        workflow = api.workflow(
            snakefile=repo / "Snakefile",
            workdir=repo,
            resource_settings=ResourceSettings(cores=cores),
            config_settings=ConfigSettings(configfiles=[repo / c for c in configfiles]),
        )
        dag = workflow.dag(DAGSettings())
        with contextlib.redirect_stdout(io.StringIO()):
            dag.printrulegraph()  # builds the DAG: every job with its evaluated params
        return list(workflow._workflow.dag.jobs)


def planned_params(repo: Path, configfiles: list[str], rule: str) -> list[dict]:
    """The params of every `rule` job in the DAG of `snakemake --configfile <configfiles>`."""
    jobs = [job for job in planned_jobs(repo, configfiles) if job.rule.name == rule]
    return [{"wildcards": dict(job.wildcards), **dict(job.params.items())} for job in jobs]


def summary(train: dict) -> tuple:
    sft = train["sft"]
    r = train["lora"]["r"] if train["method"] == "lora" else None
    return (
        train["method"],
        sft["learning_rate"],
        sft["num_train_epochs"],
        sft["per_device_train_batch_size"],
        sft["lr_scheduler_type"],
        r,
    )


@pytest.mark.parametrize("configfile", sorted(EXPECTED))
def test_train_sft_receives_the_documented_settings(repo, configfile):
    jobs = planned_params(
        repo, [] if configfile == "config/config.yaml" else [configfile], "train_sft"
    )
    seen = {}
    for job in jobs:
        seen.setdefault(job["wildcards"]["study"], set()).add(summary(job["train"]))
    assert seen == {study: {want} for study, want in EXPECTED[configfile].items()}


MODEL_RULES = {"probe_memory", "probe_teacher_forcing", "train_sft", "evaluate_qa", "evaluate_mc"}
# model-job threads per shipped config: demo.job_threads on the demo, MODEL_JOB_THREADS elsewhere
THREADS = {"config/config.yaml": 1, "config/paper_memory.yaml": 2, "config/paper_silly.yaml": 2}


@pytest.mark.parametrize("configfile", sorted(THREADS))
def test_model_jobs_receive_the_documented_threads(repo, configfile):
    configs = [] if configfile == "config/config.yaml" else [configfile]
    jobs = planned_jobs(repo, configs, cores=8)
    seen = {job.rule.name: set() for job in jobs if job.rule.name in MODEL_RULES}
    for job in jobs:
        if job.rule.name in seen:
            seen[job.rule.name].add(job.threads)
    assert seen and seen == {rule: {THREADS[configfile]} for rule in seen}
    pretrain = {job.threads for job in jobs if job.rule.name == "pretrain_demo_model"}
    assert pretrain <= {2}  # the demo's pretraining keeps both cores: it runs alone


@pytest.mark.parametrize("configfile", ["config/paper_memory.yaml", "config/paper_silly.yaml"])
def test_resolve_command_prints_what_the_rule_receives(repo, configfile):
    run = subprocess.run(
        [sys.executable, "-m", "sftlab.config", "--resolve", "--configfile", configfile],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    printed = yaml.safe_load(run.stdout.split("\nGPU memory per fine-tune")[0])
    for job in planned_params(repo, [configfile], "train_sft")[:3]:
        study = job["wildcards"]["study"]
        assert json.dumps(printed["effective_train"][study], sort_keys=True) == json.dumps(
            job["train"], sort_keys=True
        )
    assert "GPU-hours:" in run.stdout and "Peak disk:" in run.stdout
