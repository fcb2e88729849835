"""Run statistics: LLM calls, cache hits, cost, training time and per-rule wall time of one run.

Stages name the files that carry statistics; each is recognised by its content, not its path:
- an LLM stats JSON (`LLMClient.stats()`): has `requests_sent`;
- a training metrics JSON (`sftlab.train`): has `train_runtime` (seconds, from the HF Trainer);
- a Snakemake benchmark TSV (`benchmarks/<rule>/<wildcards>.tsv` or `benchmarks/<rule>.tsv`).
`summarise` sums them into one JSON-ready dict; `to_html` renders it for the Snakemake report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from sftlab.tables import html_page

LLM_COUNTERS = (
    "conversations",
    "succeeded",
    "failed",
    "requests_sent",
    "cache_hits",
    "retries",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "cache_saved_cost_usd",
    "elapsed_s",
)


def benchmark_rule(path: str | Path) -> str:
    """The rule of a benchmark file: the folder under benchmarks/, else the file's stem."""
    parts = Path(path).parts
    if "benchmarks" in parts:
        rest = parts[parts.index("benchmarks") + 1 :]
        return rest[0] if len(rest) > 1 else Path(rest[0]).stem
    return Path(path).stem


def _llm(stats: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {key: 0 for key in LLM_COUNTERS}
    for item in stats:
        for key in LLM_COUNTERS:
            total[key] += item.get(key) or 0
    total["jobs"] = len(stats)
    total["models"] = sorted({item["model"] for item in stats if item.get("model")})
    total["cost_usd"] = round(total["cost_usd"], 6)
    total["cache_saved_cost_usd"] = round(total["cache_saved_cost_usd"], 6)
    return total


def _training(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [float(m["train_runtime"]) for m in metrics]
    return {
        "runs": len(metrics),
        "train_runtime_s": round(sum(seconds), 3),
        "longest_run_s": round(max(seconds, default=0.0), 3),
        "train_examples": sum(int(m.get("train_examples") or 0) for m in metrics),
        "train_tokens": sum(int(m.get("train_tokens") or 0) for m in metrics),
        "resumed_runs": sum(1 for m in metrics if m.get("resumed_from")),
    }


def _rules(benchmarks: list[tuple[str, pl.DataFrame]]) -> list[dict[str, Any]]:
    if not benchmarks:
        return []
    rows = pl.concat(
        [
            frame.select(
                pl.lit(rule).alias("rule"),
                pl.col("s").cast(pl.Float64),
                pl.col("max_rss").cast(pl.Float64, strict=False),
            )
            for rule, frame in benchmarks
        ]
    )
    table = (
        rows.group_by("rule")
        .agg(
            pl.len().alias("jobs"),
            pl.col("s").sum().round(3).alias("wall_s"),
            pl.col("s").max().round(3).alias("longest_s"),
            pl.col("max_rss").max().round(1).alias("max_rss_mb"),
        )
        .sort("wall_s", descending=True)
    )
    return table.to_dicts()


def summarise(paths: Iterable[str | Path]) -> dict[str, Any]:
    """Sum every statistics file in `paths`; an unrecognised file is an error naming it."""
    llm, training, benchmarks = [], [], []
    for path in map(Path, paths):
        if path.suffix == ".tsv":
            benchmarks.append((benchmark_rule(path), pl.read_csv(path, separator="\t")))
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if "requests_sent" in data:
            llm.append(data)
        elif "train_runtime" in data:
            training.append(data)
        else:
            raise ValueError(
                f"{path}: not a run statistics file (no requests_sent, train_runtime or .tsv)"
            )
    rules = _rules(benchmarks)
    return {
        "llm": _llm(llm),
        "training": _training(training),
        "rules": rules,
        "benchmarked_wall_s": round(sum(r["wall_s"] for r in rules), 3),
    }


def to_html(stats: dict[str, Any]) -> str:
    """A self-contained HTML page of the statistics (tables), shown inside the Snakemake report."""

    def pairs(section: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"statistic": k, "value": v} for k, v in section.items()]

    return html_page(
        [
            ("LLM calls", pairs(stats["llm"])),
            ("Training", pairs(stats["training"])),
            (f"Wall time per rule (benchmarks, {stats['benchmarked_wall_s']:.0f} s in all)",
             stats["rules"]),
        ]
    )  # fmt: skip
