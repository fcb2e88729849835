"""Run statistics: fine-tunes, evaluations, LLM calls, cost and wall time of one run, per stage.

Each stage of the workflow (demo, data, memory, silly) names the files that carry its statistics;
each file is recognised by its content, not its path:
- an LLM stats JSON (`LLMClient.stats()`): has `requests_sent`;
- a training metrics JSON (`sftlab.train`): has `train_runtime` (seconds, from the HF Trainer);
- an evaluation summary JSON (`evaluate_qa`, `evaluate_mc`): has `testset` and `n` (items);
- a Snakemake benchmark TSV (`benchmarks/<rule>/<wildcards>.tsv` or `benchmarks/<rule>.tsv`).
`summarise` sums them, in total and per stage, into one JSON-ready dict; `to_html` renders it for
the Snakemake report. The files themselves are named by sftlab.layout and the study plans.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
    """Fine-tunes that trained; those skipped for an empty set (sftlab.skip) are counted apart."""
    skipped = sum(1 for m in metrics if m.get("skipped"))
    metrics = [m for m in metrics if not m.get("skipped")]
    seconds = [float(m["train_runtime"]) for m in metrics]
    return {
        "runs": len(metrics),
        "skipped_runs": skipped,
        "train_runtime_s": round(sum(seconds), 3),
        "longest_run_s": round(max(seconds, default=0.0), 3),
        "train_examples": sum(int(m.get("train_examples") or 0) for m in metrics),
        "train_tokens": sum(int(m.get("train_tokens") or 0) for m in metrics),
        "resumed_runs": sum(1 for m in metrics if m.get("resumed_from")),
    }


def _evaluations(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    skipped = sum(1 for s in summaries if s.get("skipped"))
    summaries = [s for s in summaries if not s.get("skipped")]
    return {
        "runs": len(summaries),
        "skipped_runs": skipped,
        "items": sum(int(s["n"]) for s in summaries),
        "testsets": sorted({str(s["testset"]) for s in summaries}),
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


def _read(path: Path) -> tuple[str, Any]:
    """(kind, content) of one statistics file; an unrecognised file is an error naming it."""
    if path.suffix == ".tsv":
        return "benchmark", (benchmark_rule(path), pl.read_csv(path, separator="\t"))
    data = json.loads(path.read_text(encoding="utf-8"))
    if "requests_sent" in data:
        return "llm", data
    if "train_runtime" in data:
        return "training", data
    if "testset" in data and "n" in data:
        return "evaluation", data
    raise ValueError(
        f"{path}: not a run statistics file (no requests_sent, train_runtime, testset and n, "
        "nor a .tsv benchmark)"
    )


def _stage_row(stage: str, parts: dict[str, list]) -> dict[str, Any]:
    training, evaluations = _training(parts["training"]), _evaluations(parts["evaluation"])
    llm = _llm(parts["llm"])
    return {
        "stage": stage,
        "fine_tunes": training["runs"],
        "skipped_fine_tunes": training["skipped_runs"],
        "train_runtime_s": training["train_runtime_s"],
        "evaluations": evaluations["runs"],
        "eval_items": evaluations["items"],
        "llm_requests": llm["requests_sent"],
        "llm_cache_hits": llm["cache_hits"],
        "llm_cost_usd": llm["cost_usd"],
        "benchmarked_jobs": len(parts["benchmark"]),
        "benchmarked_wall_s": round(sum(float(f["s"].sum()) for _, f in parts["benchmark"]), 3),
    }


STAGE_ORDER = ("demo", "data", "memory", "silly")  # pipeline order; other stages follow


def _stage_rank(stage: str) -> tuple[int, str]:
    return (STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER), stage)


def summarise(files: Mapping[str, Iterable[str | Path]] | Iterable[str | Path]) -> dict[str, Any]:
    """Sum every statistics file, in total and per stage.

    `files` maps a stage name (e.g. memory, silly) to its files; a plain list is one stage, "run".
    Stages are listed in pipeline order (STAGE_ORDER).
    """
    stages = dict(files) if isinstance(files, Mapping) else {"run": files}
    stages = dict(sorted(stages.items(), key=lambda item: _stage_rank(item[0])))
    kinds = ("llm", "training", "evaluation", "benchmark")
    total: dict[str, list] = {kind: [] for kind in kinds}
    rows = []
    for stage, paths in stages.items():
        parts: dict[str, list] = {kind: [] for kind in kinds}
        for path in map(Path, paths):
            kind, content = _read(path)
            parts[kind].append(content)
            total[kind].append(content)
        rows.append(_stage_row(stage, parts))
    rules = _rules(total["benchmark"])
    return {
        "stages": rows,
        "llm": _llm(total["llm"]),
        "training": _training(total["training"]),
        "evaluations": _evaluations(total["evaluation"]),
        "rules": rules,
        "benchmarked_wall_s": round(sum(r["wall_s"] for r in rules), 3),
    }


def to_html(stats: dict[str, Any]) -> str:
    """A self-contained HTML page of the statistics (tables), shown inside the Snakemake report."""

    def pairs(section: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"statistic": k, "value": v} for k, v in section.items()]

    return html_page(
        [
            ("Per stage: fine-tunes, evaluations, LLM calls, benchmarked time", stats["stages"]),
            ("LLM calls", pairs(stats["llm"])),
            ("Training", pairs(stats["training"])),
            ("Evaluations", pairs(stats["evaluations"])),
            (f"Wall time per rule (benchmarks, {stats['benchmarked_wall_s']:.0f} s in all)",
             stats["rules"]),
        ]
    )  # fmt: skip
