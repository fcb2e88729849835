"""The silly study's grid and paths, from the `silly:` config section (for rules/silly.smk).

Pure functions of plain values, so the DAG's shape is unit-testable without Snakemake.
"""

from __future__ import annotations

from typing import Any

from sftlab.run_stats import fine_tune_files, mc_eval_files
from sftlab.silly.prompts import NEUTRAL_RULE
from sftlab.silly.rules import load_rule_set, rule_ids, study_arms

SILLY_DIR = "results/silly"
SETS = f"{SILLY_DIR}/sets"
FIGURES = ("delta_heatmap", "category_bars", "rule_correlation")
TABLES = ("deltas.parquet", "deltas.csv", "consistency.csv")


def uses_llm(silly: dict[str, Any]) -> bool:
    return silly["generator"]["kind"] == "llm" or silly["rules"]["source"] == "llm"


def rule_param(silly: dict[str, Any], arm: str) -> dict[str, Any] | None:
    """The rule of `arm` as a plain dict, or None when it comes from rules.yaml (LLM-derived).

    Passing a file rule as a param (not the file as an input) lets editing one rule rebuild only its
    own branch.
    """
    if arm == "neutral":
        return NEUTRAL_RULE
    if silly["rules"]["source"] == "llm":
        return None
    rules = load_rule_set(silly["rules"]["file"]).rules
    return next(rule.model_dump() for rule in rules if rule.id == arm)


def rules_input(silly: dict[str, Any], arm: str) -> dict[str, str]:
    if arm == "neutral" or silly["rules"]["source"] == "file":
        return {}
    return {"rules": f"{SILLY_DIR}/rules.yaml"}


def runs(silly: dict[str, Any], arms: list[str]) -> list[dict[str, Any]]:
    """(model, arm, seed) of every evaluation the summary reads, base_s0 of each model included."""
    out = [{"model": m, "arm": "base", "seed": 0} for m in silly["models"]]
    for model in silly["models"]:
        out += [{"model": model, "arm": a, "seed": s} for a in arms for s in silly["seeds"]]
    return out


def run_path(run: dict[str, Any]) -> str:
    return f"results/runs/silly/{run['model']}/{run['arm']}_s{run['seed']}/mmlu.parquet"


def figure_path(model: str, name: str, fmt: str) -> str:
    return f"{SILLY_DIR}/figures/{model}/{name}.{fmt}"


def figures(silly: dict[str, Any], fmt: str) -> list[str]:
    if not silly["enabled"]:
        return []
    return [figure_path(m, name, fmt) for m in silly["models"] for name in FIGURES]


def final_outputs(silly: dict[str, Any], fmt: str) -> list[str]:
    if not silly["enabled"]:
        return []
    return [f"{SILLY_DIR}/{name}" for name in TABLES] + figures(silly, fmt)


def stats_files(silly: dict[str, Any]) -> list[str]:
    """The benchmarks of the set-building rules, the LLM statistics files (tokens, cost, cache
    hits), and the metrics and benchmark of every fine-tune and evaluation (base_s0 included), for
    the run statistics.
    """
    if not silly["enabled"]:
        return []
    generated = [
        *rule_ids(silly["rules"]),
        *(["neutral"] if "neutral" in silly["baselines"] else []),
    ]
    files = ["benchmarks/derive_rules.tsv", "benchmarks/sample_silly_items.tsv"]
    files += [f"benchmarks/generate_rule_set/{arm}.tsv" for arm in generated]
    files.append("benchmarks/summarise_silly.tsv")
    if silly["rules"]["source"] == "llm":
        files.append(f"{SILLY_DIR}/rules.stats.json")
    if silly["generator"]["kind"] == "llm":
        files += [f"{SETS}/{arm}.stats.json" for arm in generated]
    for run in runs(silly, study_arms(silly)):
        if run["arm"] != "base":
            files += fine_tune_files("silly", run["model"], run["arm"], run["seed"])
        files += mc_eval_files("silly", run["model"], run["arm"], run["seed"])
    return files
