"""The catalog's entry point (workflow/Snakefile) plans the same jobs as the top-level Snakefile."""

import subprocess
import sys

from sftlab.testing.workflow import parse_plan


def plan(repo, *args: str) -> list[tuple[str, str]]:
    run = subprocess.run(
        # --forceall: the whole plan, whatever a previous run left in the checkout
        [sys.executable, "-m", "snakemake", "--cores", "1", "--dry-run", "--forceall", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return sorted((job.rule, str(sorted(job.wildcards.items()))) for job in parse_plan(run.stdout))


def test_both_snakefiles_plan_the_same_jobs(repo):
    top = plan(repo)
    assert len(top) > 100 and ("all", "[]") in top  # the default target is `rule all` in both
    assert plan(repo, "--snakefile", "workflow/Snakefile") == top
