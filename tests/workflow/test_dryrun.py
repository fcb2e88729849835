"""Every shipped config plans without running or downloading anything; bad configs fail first."""

import subprocess
import sys
from pathlib import Path

import pytest

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
SHIPPED = [
    "config/config.yaml",
    "config/paper_memory.yaml",
    "config/paper_silly.yaml",
    "config/examples/own_facts/config.yaml",
]


def snakemake(repo: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SNAKEMAKE, "--cores", "1", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("configfile", SHIPPED)
def test_shipped_config_dry_runs(repo, configfile):
    run = snakemake(repo, "-n", "--quiet", "rules", "--configfile", configfile)
    assert run.returncode == 0, run.stderr[-3000:]


def test_bad_config_fails_before_any_job(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("memory:\n  probe:\n    samples: ten\n")
    run = snakemake(repo, "-n", "--configfile", str(bad))
    assert run.returncode != 0
    assert "memory.probe.samples" in run.stderr + run.stdout
    assert "Job stats" not in run.stdout


def test_lint_is_clean(repo):
    run = snakemake(repo, "--lint")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
