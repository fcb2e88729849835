"""Planning speed: `snakemake -n` on the paper-scale configs, and a no-op re-run of the demo.

Targets (issue 6), on 2 CPU cores: a dry run of a config of over 1,000 jobs under 20 s; a re-run of
the completed demo with nothing to do under 10 s. Each measurement runs in a fresh copy of the
workflow (the repository's .snakemake/ and results/ are never touched) and prints one line with its
ratio to the target (< 1 meets it). A missing paper config is replaced by a synthetic one of the
same shape (one study over 8 or 12 hub models); `--demo DIR` times the no-op in an already
completed demo folder instead of running the demo first (minutes).

    .venv/bin/python bench/bench_dryrun.py [--demo DIR | --touch] [--repeat 3] [--skip-noop]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from sftlab.testing.workflow import copy_workflow

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
DRY_RUN_TARGET_S = 20.0
NOOP_TARGET_S = 10.0
PAPER_CONFIGS = ("config/paper_memory.yaml", "config/paper_silly.yaml")


def synthetic_config(study: str) -> dict:
    """One study over hub models with the schema's paper-scale arms, over 1,000 jobs."""
    if study == "memory":  # 5 levels x 4 sizes x 3 seeds = 60 fine-tunes, 122 evaluations per model
        names = [f"hub{i}" for i in range(8)]
        studies = {"memory": {"enabled": True, "models": names, "sizes": [60, 240, 1920, "all"]}}
        studies["silly"] = {"enabled": False}
    else:  # 10 arms x 5 seeds = 50 fine-tunes, 51 evaluations per model
        names = [f"hub{i}" for i in range(12)]
        studies = {"silly": {"enabled": True, "models": names, "seeds": [0, 1, 2, 3, 4]}}
        studies["memory"] = {"enabled": False}
    models = {name: {"hub_id": f"example/model-{i}"} for i, name in enumerate(names)}
    return {"models": models, **studies}


def snakemake(workdir: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    run = subprocess.run(
        [*SNAKEMAKE, "--cores", "2", *args], cwd=workdir, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed in {workdir}:\n{run.stderr[-3000:]}")
    return elapsed, run


def job_count(stdout: str) -> int:
    match = re.search(r"^total\s+(\d+)$", stdout, flags=re.MULTILINE)
    return int(match.group(1)) if match else 0


def best_of(repeat: int, workdir: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    runs = [snakemake(workdir, *args) for _ in range(repeat)]
    return min(runs, key=lambda item: item[0])


def report(label: str, seconds: float, target: float, detail: str) -> None:
    ratio = seconds / target
    print(f"{label:<46} {seconds:7.2f} s  target {target:4.0f} s  ratio {ratio:5.2f}  {detail}")


def bench_dry_runs(scratch: Path, repeat: int, synthetic: bool) -> None:
    workdir = copy_workflow(REPO, scratch / "plan", tiny=False).root
    for configfile in PAPER_CONFIGS:
        if (REPO / configfile).exists() and not synthetic:
            label, path = configfile, configfile
        else:
            label, path = f"{configfile} (synthetic)", str(scratch / Path(configfile).name)
            study = "memory" if "memory" in configfile else "silly"
            Path(path).write_text(yaml.safe_dump(synthetic_config(study)))
        seconds, run = best_of(
            repeat, workdir, "--dry-run", "--quiet", "rules", "--configfile", path
        )
        jobs = job_count(run.stdout)
        report(f"dry run {label}", seconds, DRY_RUN_TARGET_S, f"{jobs} jobs")


def bench_noop(scratch: Path, demo: Path | None, repeat: int, touch: bool) -> None:
    if demo is None:
        workflow = copy_workflow(REPO, scratch / "demo", tiny=False)
        demo = workflow.root
        start = time.perf_counter()
        if touch:
            workflow.touch_all()
        else:
            snakemake(demo)
        label = "(demo outputs touched, once)" if touch else "(demo run, once)"
        print(f"{label:<46} {time.perf_counter() - start:7.2f} s")
    seconds, run = best_of(repeat, demo)
    if "Nothing to be done" not in run.stdout + run.stderr:
        sys.exit(f"the re-run in {demo} was not a no-op:\n{run.stdout[-3000:]}")
    report("no-op re-run of the demo", seconds, NOOP_TARGET_S, str(demo))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a completed demo folder to time the no-op in")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; best is shown")
    parser.add_argument("--skip-noop", action="store_true", help="only the dry runs")
    parser.add_argument("--synthetic", action="store_true", help="synthetic configs, not config/")
    parser.add_argument(
        "--touch",
        action="store_true",
        help="complete the demo by `snakemake --touch` over empty outputs (seconds) instead of "
        "running it; Snakemake's no-op checks (mtime, params, code, inputs) are the same",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sftlab-bench-") as tmp:
        scratch = Path(tmp)
        bench_dry_runs(scratch, args.repeat, args.synthetic)
        if not args.skip_noop:
            bench_noop(scratch, args.demo, args.repeat, args.touch)


if __name__ == "__main__":
    main()
