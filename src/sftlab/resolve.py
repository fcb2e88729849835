"""The configuration a run would use, resolved as Snakemake resolves it, with what the plan costs.

    python -m sftlab.config --resolve [--configfile A.yaml B.yaml ...]

Snakemake starts from the Snakefile's `configfile:` (config/config.yaml) and merges each
--configfile over it recursively, in order; validation then fills the schema's defaults. The
printout is that config, each study's effective `train` block (what train_sft receives), and the
plan's GPU-hours and peak disk (sftlab.costs). Run it from the repository root (or pass --repo).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from sftlab.config import ConfigError, deep_merge, study_train, validate_config
from sftlab.costs import plan_cost
from sftlab.paths import resolve_repo_paths
from sftlab.resources import check_gpu_memory, estimate_training, model_size, training_jobs

DEFAULT_CONFIG = "config/config.yaml"
SCHEMA = "workflow/schemas/config.schema.yaml"


def resolve(configfiles: list[str | Path], repo: str | Path = ".") -> dict[str, Any]:
    """The validated config of `snakemake --configfile <configfiles...>` run in `repo`, with its
    data paths resolved as common.smk resolves them."""
    repo = Path(repo)
    config: dict[str, Any] = {}
    for path in [repo / DEFAULT_CONFIG, *map(Path, configfiles)]:
        config = deep_merge(config, yaml.safe_load(Path(path).read_text()) or {})
    return resolve_repo_paths(validate_config(config, repo / SCHEMA), repo)


def config_from_args(prog: str, argv: list[str] | None) -> dict[str, Any]:
    """The resolved config named by a command line of `--configfile ... [--repo DIR]`."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--configfile", nargs="*", default=[], help="as snakemake --configfile")
    parser.add_argument("--repo", default=".", help="repository root (default: current folder)")
    args = parser.parse_args(argv)
    return resolve(args.configfile, args.repo)


def effective_train(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each enabled study's train block, as train_sft's `train` param receives it."""
    return {
        study: study_train(config, study)
        for study in ("memory", "silly")
        if config[study].get("enabled", False)
    }


def report(config: dict[str, Any]) -> str:
    """GPU memory per fine-tune, GPU-hours by stage and peak disk, as text."""
    card = config["cluster"]["gpu_memory_gb"]
    lines = [f"GPU memory per fine-tune (GiB per GPU; card {card}):"]
    for study, model in training_jobs(config):
        entry = config["models"][model]
        size = model_size(model, entry, config)
        estimate = estimate_training(size, study_train(config, study), entry["gpus"])
        lines.append(
            f"  {study}/{model}: {estimate.total_gib:.1f} on {entry['gpus']} GPU(s) "
            f"({size.params / 1e9:.3g}B parameters from {size.source})"
        )
    cost = plan_cost(config)
    lines.append(f"GPU-hours: {cost.total_gpu_hours:,.1f}")
    lines += [f"  {stage}: {hours:,.1f}" for stage, hours in cost.gpu_hours.items()]
    lines.append(f"Peak disk: {cost.peak_disk_gib:,.1f} GiB")
    lines += [f"  {what}: {gib:,.1f} GiB" for what, gib in cost.disk_gib.items()]
    lines += [f"Assumed: {note}" for note in cost.notes]
    return "\n".join(lines)


class _PlainDumper(yaml.SafeDumper):
    """No &anchors: merged configs share sub-dicts, and a reader wants every value in place."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def main(argv: list[str] | None = None) -> int:
    try:
        config = config_from_args("python -m sftlab.config --resolve", argv)
        check_gpu_memory(config)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    resolved = {**config, "effective_train": effective_train(config)}
    print(yaml.dump(resolved, Dumper=_PlainDumper, sort_keys=False), end="")
    print(report(config))
    return 0
