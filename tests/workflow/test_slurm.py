"""profiles/slurm on a real SLURM: each non-local job goes through sbatch; outputs match local.

Needs a controller that answers `sinfo` (`scripts/slurm-local.sh start` sets up a single node);
skipped otherwise. The cluster run uses profiles/slurm itself, changed only where a one-node test
cluster needs it: memory capped to fit the node, partitions mapped to those that exist (the local
cluster has the profile's cpu and gpu), GPU requests dropped where the node has no gres/gpu, plus
the flags for a cluster without accounting (--slurm-no-account, squeue status checks).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
import yaml

from sftlab.testing.workflow import copy_workflow


def sinfo(*fields: str) -> list[str]:
    if shutil.which("sinfo") is None:
        return []
    try:
        run = subprocess.run(
            ["sinfo", "-h", "-o", " ".join(fields)], capture_output=True, text=True, timeout=15
        )
    except subprocess.TimeoutExpired:
        return []
    return run.stdout.split("\n")[:-1] if run.returncode == 0 else []


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.slow,
    pytest.mark.skipif(not sinfo("%P"), reason="no SLURM controller answers sinfo"),
]

# A small DAG that sends jobs of both kinds to SLURM: the demo model (a GPU rule) and the silly
# study's item sampling (a CPU rule), after the demo world and the data preparation.
TARGETS = [
    "results/data/mmlu.parquet",
    "results/data/entityquestions.parquet",
    "results/data/ruozhiba.parquet",
    "results/demo/model",
    "results/silly/items.parquet",
]
FLAGS = [
    "--slurm-no-account",
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--slurm-keep-successful-logs",
]
# Pretraining by steps, not by its wall-clock budget (which shrinks the schedule on a busy machine).
DETERMINISTIC = {"demo": {"pretrain": {"max_steps": 10, "max_minutes": 60}}}
NODE_MEM_MB = 1500  # per job; the test node has about 20 GB and runs two jobs at a time
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+)\)\.")
JOB_HEADER = re.compile(r"^(local)?rule (\w+):\n(?:    .*\n)*?    jobid: (\d+)$", re.MULTILINE)


def fit_profile(repo: Path, dest: Path) -> Path:
    """profiles/slurm with memory, partitions and GPU requests fitted to this cluster."""
    profile = yaml.safe_load((repo / "profiles/slurm/config.yaml").read_text())
    partitions = {p.rstrip("*") for p in sinfo("%P")}
    default = next(p.rstrip("*") for p in sinfo("%P") if p.endswith("*"))
    has_gpu = any("gpu" in g for g in sinfo("%G"))
    profile["jobs"] = 2
    profile["retries"] = 0
    for resources in [profile["default-resources"], *profile["set-resources"].values()]:
        # train_sft sizes memory and CPUs per GPU in its rule: fitted here like the others.
        resources["mem_mb"] = min(resources.get("mem_mb", NODE_MEM_MB), NODE_MEM_MB)
        if resources["slurm_partition"] not in partitions:
            resources["slurm_partition"] = default
        if not has_gpu:
            resources.pop("gpu", None)
    # The rules' own threads, as in the local run: float results depend on the thread count.
    del profile["set-threads"]
    profile["set-resources"]["train_sft"]["cpus_per_task"] = 1  # its threads (demo.job_threads)
    path = dest / "profiles/slurm-test"
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return path


def scontrol_job(jobid: str) -> dict[str, str]:
    run = subprocess.run(
        ["scontrol", "show", "job", "-o", jobid], capture_output=True, text=True, timeout=15
    )
    assert run.returncode == 0, f"scontrol does not know job {jobid}: {run.stderr}"
    return dict(f.split("=", 1) for f in run.stdout.split() if "=" in f)


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if not TIMING_KEY.search(k)}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def digest(path: Path) -> str:
    """Content identity: parquet as tables (writer metadata aside), JSON without wall-clock
    timings, other files as bytes."""
    if path.suffix == ".parquet":
        data = pl.read_parquet(path).write_ipc(None).getvalue()
    elif path.suffix == ".json":
        content = without_timings(json.loads(path.read_text()))
        data = json.dumps(content, sort_keys=True).encode()
    else:
        data = path.read_bytes()
    return hashlib.sha256(data).hexdigest()


def output_files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): digest(path)
        for path in sorted((root / "results").rglob("*"))
        if path.is_file()
        and path.suffix not in NONDETERMINISTIC_SUFFIXES
        and path.name not in NONDETERMINISTIC_NAMES
    }


# Files that record when or where they were made; keys of JSON files that are wall-clock times.
NONDETERMINISTIC_NAMES = {"provenance.json"}
NONDETERMINISTIC_SUFFIXES = {".log"}  # model weights are compared: same threads, same floats
TIMING_KEY = re.compile(r"(_s|_seconds|elapsed|runtime|per_second)$")


def test_slurm_profile_runs_every_job_through_sbatch(repo, tmp_path):
    local = copy_workflow(repo, tmp_path / "local", DETERMINISTIC)
    local.run(*TARGETS)

    cluster = copy_workflow(repo, tmp_path / "cluster", DETERMINISTIC)
    profile = fit_profile(repo, cluster.root)
    run = cluster.snakemake("--profile", str(profile.relative_to(cluster.root)), *FLAGS, *TARGETS)
    log = run.stdout + run.stderr

    jobs = {jobid: (rule, bool(is_local)) for is_local, rule, jobid in JOB_HEADER.findall(log)}
    remote = {jobid for jobid, (_, is_local) in jobs.items() if not is_local}
    submitted = {job: (slurm_id, Path(path)) for job, slurm_id, path in SUBMITTED.findall(log)}
    assert remote, f"no job went to SLURM:\n{log[-3000:]}"
    assert set(submitted) == remote, f"jobs not submitted through sbatch: {remote - set(submitted)}"

    partitions = {}
    for job, (slurm_id, slurm_log) in submitted.items():
        rule = jobs[job][0]
        info = scontrol_job(slurm_id)
        assert info["JobState"] == "COMPLETED", (rule, info["JobState"])
        assert Path(info["WorkDir"]) == cluster.root
        assert slurm_log.exists() and f"rule {rule}:" in slurm_log.read_text()
        partitions[rule] = info["Partition"]
    if {"cpu", "gpu"} <= {p.rstrip("*") for p in sinfo("%P")}:  # the partitions of the profile
        assert "cpu" in partitions.values(), partitions
    if "pretrain_demo_model" in partitions and any("gpu" in g for g in sinfo("%G")):
        assert partitions["pretrain_demo_model"] == "gpu"
        assert "gpu" in scontrol_job(submitted_id(submitted, jobs, "pretrain_demo_model")).get(
            "TresPerJob", ""
        )

    expected, produced = output_files(local.root), output_files(cluster.root)
    assert expected, "the local run produced nothing to compare"
    assert produced.keys() == expected.keys()
    differing = [name for name in expected if produced[name] != expected[name]]
    assert not differing, f"outputs differ from the local run: {differing}"


def submitted_id(submitted: dict, jobs: dict, rule: str) -> str:
    return next(slurm_id for job, (slurm_id, _) in submitted.items() if jobs[job][0] == rule)
