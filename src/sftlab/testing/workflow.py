"""A copy of the workflow in a temporary folder (by default with a tiny config), and a reader of
Snakemake's dry-run plan (which jobs would run, with their wildcards and reasons): the harness of
tests/workflow and bench/bench_dryrun.py."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sftlab.config import deep_merge

WORKFLOW_PARTS = ("Snakefile", "workflow", "config", "profiles", "envs")
SNAKEMAKE = [sys.executable, "-m", "snakemake"]

# Overrides of config/config.yaml that keep a run of both studies to a few minutes on 2 cores: a
# 360-fact world and a briefly pretrained model (most facts land in level 0, the one level trained),
# one size and seed, two silly rules (TINY_RULES) plus the plain baseline on 30 items.
TINY_RULES = "config/rules/tiny_rules.yaml"
TINY: dict = {
    "demo": {
        "world": {"facts_per_relation": 40},
        "pretrain": {"max_steps": 40, "max_minutes": 0.5},
    },
    "memory": {
        "train_levels": [0],
        "sizes": [20],
        "seeds": [0],
        "probe": {"samples": 2, "compare_estimators": False},
        "slick": {"enabled": False},
    },
    "silly": {
        "rules": {"source": "file", "file": TINY_RULES},
        "source": {"split": "validation", "size": 30},  # a split every demo MMLU has
        "baselines": ["plain"],
        "seeds": [0],
        "summary": {"bootstrap": 100},
    },
    "train": {"sft": {"num_train_epochs": 1}},
}


@dataclass
class PlannedJob:
    rule: str
    wildcards: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    local: bool = False


JOB_HEADER = re.compile(r"^(local)?rule (\w+):$")
PRODUCTS = re.compile(r"^    (?:output|log|benchmark): (.*)$", re.MULTILINE)
NOT_A_DIRECTORY = re.compile(r"Not a directory: '(.+?)/\.snakemake_timestamp'")
JOB_FIELD = re.compile(r"^    (\w+): (.*)$")


def parse_plan(stdout: str) -> list[PlannedJob]:
    """The jobs of a `snakemake -n` printout (not --quiet); empty when nothing would run."""
    jobs: list[PlannedJob] = []
    current = None
    for line in stdout.splitlines():
        header = JOB_HEADER.match(line)
        if header:
            current = PlannedJob(rule=header.group(2), local=bool(header.group(1)))
            jobs.append(current)
            continue
        fields = JOB_FIELD.match(line) if current else None
        if fields is None:
            current = None
            continue
        key, value = fields.groups()
        if key == "wildcards":
            current.wildcards = dict(part.split("=", 1) for part in value.split(", "))
        elif key == "reason":
            current.reason = value
    return jobs


class Workflow:
    """A self-contained copy of the workflow; `config` is written to its config/config.yaml."""

    def __init__(self, root: Path, config: dict):
        self.root = root
        self.config = config
        self.write_config()

    @property
    def config_path(self) -> Path:
        return self.root / "config/config.yaml"

    def write_config(self, config: dict | None = None) -> None:
        if config is not None:
            self.config = config
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))

    def snakemake(
        self, *args: str, check: bool = True, timeout: int = 1800, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        run = subprocess.run(
            [*SNAKEMAKE, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
        if check and run.returncode != 0:
            raise AssertionError(
                f"snakemake {' '.join(args)} failed ({run.returncode}):\n"
                f"{run.stdout[-4000:]}\n{run.stderr[-6000:]}"
            )
        return run

    def run(self, *args: str, cores: int = 2, **kwargs) -> subprocess.CompletedProcess:
        return self.snakemake("--cores", str(cores), *args, **kwargs)

    def plan(self, *args: str) -> list[PlannedJob]:
        """The jobs a run with the current files and config would execute."""
        return parse_plan(self.snakemake("--cores", "1", "--dry-run", *args).stdout)

    def plan_counts(self, *args: str) -> Counter:
        return Counter(job.rule for job in self.plan(*args))

    def touch_all(self, rounds: int = 3) -> None:
        """Stand-in for a finished run in seconds: every planned output, log and benchmark is
        created empty and `snakemake --touch` records it (params, code, inputs) as a run would.
        Products without a file extension are directory() outputs (adapter/, model/, ...); a
        guess that proves wrong shows up as an error, is corrected, and the touch is repeated."""
        for _ in range(rounds):
            out = self.snakemake("--cores", "1", "--dry-run", "--forceall").stdout
            products = {p for line in PRODUCTS.findall(out) for p in line.split(", ")}
            for product in products:
                path = self.root / product
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():
                    path.mkdir() if not path.suffix else path.touch()
            # --forceall: after a failed round, jobs touched before it are recorded again too.
            run = self.snakemake("--cores", "1", "--touch", "--forceall", check=False)
            if run.returncode == 0:
                return
            for folder in set(NOT_A_DIRECTORY.findall(run.stdout + run.stderr)):
                (self.root / folder).unlink()
                (self.root / folder).mkdir()
        raise AssertionError(f"snakemake --touch still fails after {rounds} rounds:\n{run.stderr}")


def copy_workflow(
    repo: Path, dest: Path, overrides: dict | None = None, tiny: bool = True
) -> Workflow:
    """Copy the workflow parts to `dest`; its config = default + TINY (unless `tiny` is off) +
    overrides."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        source = repo / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / part)
    rules = yaml.safe_load((repo / "config/rules/silly_rules.yaml").read_text())
    rules["rules"] = rules["rules"][:2]
    (dest / TINY_RULES).write_text(yaml.safe_dump(rules, sort_keys=False))
    default = yaml.safe_load((repo / "config/config.yaml").read_text())
    # copies: tests edit their config, never TINY or the overrides they passed
    base = deep_merge(default, copy.deepcopy(TINY)) if tiny else default
    config = deep_merge(base, copy.deepcopy(overrides or {}))
    return Workflow(dest, config)
