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


def test_paper_configs_plan_nothing_over_the_demos_files(repo, tmp_path):
    """In a tree where the demo ran, a paper config plans only new files under its own root."""
    from sftlab.testing.workflow import copy_workflow

    workflow = copy_workflow(repo, tmp_path / "wf")
    workflow.touch_all()  # the demo "ran": results/, logs/, benchmarks/ recorded by Snakemake
    demo = {p: p.stat().st_mtime_ns for p in (workflow.root / "results").rglob("*")}
    for paper in ("memory", "silly"):
        plan = workflow.plan("--configfile", f"config/paper_{paper}.yaml")
        producing = [job for job in plan if job.rule != "all"]  # `all` has no output
        assert producing and all(j.reason.startswith("Missing output files") for j in producing), [
            (j.rule, j.reason) for j in producing if not j.reason.startswith("Missing output")
        ]
        assert (workflow.root / f"experiments/paper_{paper}/.snakemake").is_dir()
    assert {p: p.stat().st_mtime_ns for p in (workflow.root / "results").rglob("*")} == demo
    assert workflow.plan() == [], "the demo's own plan is still complete"


def test_workflow_runs_from_any_folder(repo, tmp_path):
    """`snakemake -s <repo>/Snakefile --directory <elsewhere>`: data files come from the repo."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [*SNAKEMAKE, "--cores", "1", "-n", "-s", str(repo / "Snakefile"), "-d", str(elsewhere)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"{repo}/config/templates/demo.yaml" in run.stdout
    assert "rule build_demo_world:" in run.stdout
    assert not (repo / "elsewhere").exists() and (elsewhere / ".snakemake").is_dir()
