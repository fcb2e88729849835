"""Runs with nothing to train on: the fine-tune and evaluations of an empty SFT set.

Memory levels are known only after probing, while Snakemake fixes the job grid when it parses the
workflow, so the grid holds every training level. A level with no training facts gets an empty set
(sample_memory_set warns and names `memory.train_levels`, which drops the level from the grid).
Rather than failing, and stopping the whole run after probing, train_sft and evaluate_qa pass such
a run through as a skip: small outputs marked `skipped`, written in milliseconds, that the memory
summary leaves out (listing them in short_sets.json) and the run statistics count apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from sftlab.io import provenance, read_json, write_json, write_parquet, write_yaml

SKIP_FILE = "skipped.json"  # in the adapter folder of a skipped fine-tune
LOSS_SCHEMA = {
    "step": pl.Int64,
    "epoch": pl.Float64,
    "loss": pl.Float64,
    "learning_rate": pl.Float64,
    "grad_norm": pl.Float64,
}
PER_ITEM_SCHEMA = {
    "item_id": pl.String,
    "prediction": pl.String,
    "correct": pl.Boolean,
    "prompt_hash": pl.String,
}


def is_empty_set(path: str | Path) -> bool:
    """True when the SFT set (JSONL) holds no example."""
    with open(path, encoding="utf-8") as handle:
        return not any(line.strip() for line in handle)


def write_skipped_training(
    adapter_dir: str | Path, train_dir: str | Path, reason: str, settings: dict[str, Any], seed: int
) -> dict[str, Any]:
    """The outputs of train_sft for a run that trains nothing; returns its metrics."""
    adapter_dir, train_dir = Path(adapter_dir), Path(train_dir)
    adapter_dir.mkdir(parents=True, exist_ok=True)
    write_json(adapter_dir / SKIP_FILE, {"skipped": reason})
    metrics = {"skipped": reason, "train_runtime": 0.0, "train_examples": 0, "train_tokens": 0}
    write_parquet(train_dir / "loss.parquet", pl.DataFrame(schema=LOSS_SCHEMA))
    write_json(train_dir / "metrics.json", metrics)
    write_yaml(train_dir / "config.yaml", {"skipped": reason, "settings": settings, "seed": seed})
    write_json(train_dir / "provenance.json", provenance(skipped=reason, seed=seed))
    return metrics


def skip_reason(adapter_dir: str | Path | None) -> str | None:
    """Why the fine-tune behind `adapter_dir` was skipped, or None for a real adapter."""
    marker = Path(adapter_dir) / SKIP_FILE if adapter_dir else None
    return read_json(marker)["skipped"] if marker and marker.exists() else None


def skipped_evaluation(
    items: pl.DataFrame, group_by: list[str], reason: str, **meta: Any
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The per-item table (no rows, the evaluator's columns) and the summary of a skipped run."""
    per_item = pl.DataFrame(schema=PER_ITEM_SCHEMA).with_columns(
        pl.lit(None, dtype=items.schema[c]).alias(c) for c in group_by
    )
    return per_item, {**meta, "skipped": reason, "n": 0, "acc": None, "groups": {}}
