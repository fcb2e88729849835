"""What train_sft jobs request under the paper configs: their model's GPUs, and memory and CPUs
per GPU."""

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
