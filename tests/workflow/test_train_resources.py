"""What GPU jobs request: train_sft under the paper configs (their model's GPUs, and memory and
CPUs per GPU), probe_memory under the SLURM profile (its backend's GPUs)."""

import re
import subprocess
import sys

import pytest
import yaml

JOB = re.compile(
    r"^rule train_sft:\n(?:    .*\n)*?    wildcards: study=\w+, model=([\w.-]+),.*\n"
    r"    resources: (.*)$",
    re.MULTILINE,
)


@pytest.mark.parametrize("configfile", ["config/paper_memory.yaml", "config/paper_silly.yaml"])
def test_train_jobs_request_their_models_gpus(repo, configfile):
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", "-n", "--configfile", configfile],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    models = yaml.safe_load((repo / configfile).read_text())["models"]
    requested = {}
    for model, resources in JOB.findall(run.stdout):
        fields = dict(item.split("=", 1) for item in resources.split(", "))
        requested[model] = (int(fields["gpu"]), int(fields["mem_mb"]), int(fields["cpus_per_task"]))
    assert set(requested) == set(models)
    for model, (gpus, mem_mb, cpus) in requested.items():
        assert gpus == models[model]["gpus"], model
        assert (mem_mb, cpus) == (64000 * gpus, 8 * gpus), model


PROBE = re.compile(r"^rule probe_memory:\n(?:    .*\n)*?    resources: (.*)$", re.MULTILINE)


@pytest.mark.parametrize(
    "probe, gpus",
    [
        ({}, 1),  # hf: the model on one GPU
        ({"backend": "vllm", "vllm": {"tensor_parallel_size": 2}}, 2),
        ({"backend": "server", "server": {"api_base": "http://127.0.0.1:8000/v1"}}, 0),
    ],
)
def test_probe_job_requests_its_backends_gpus_under_the_slurm_profile(repo, tmp_path, probe, gpus):
    """The profile's set-resources must not pin probe_memory's GPUs: a server-backed probe holds
    none (the server has them), a vLLM probe holds tensor_parallel_size."""
    override = tmp_path / "probe.yaml"
    override.write_text(yaml.safe_dump({"memory": {"probe": probe}}))
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--profile", "profiles/slurm",
         "--executor", "local", "--cores", "2", "results/memory/demo/probe.parquet",
         "--configfile", "config/config.yaml", str(override)],
        cwd=repo, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    (resources,) = PROBE.findall(run.stdout)
    fields = dict(item.split("=", 1) for item in resources.split(", "))
    assert int(fields["gpu"]) == gpus and fields["slurm_partition"] == "gpu"
