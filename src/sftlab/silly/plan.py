"""The silly study's results/ paths and grid, from the `silly:` config section (rules/silly.smk).

The path patterns below are the only place they are written: rules use them verbatim (Snakemake
fills `{arm}` and `{model}`). Pure functions of plain values, so the DAG's shape is unit-testable
without Snakemake. Fine-tunes and evaluations live in the run folders of sftlab.layout.
"""

from __future__ import annotations

from typing import Any

from sftlab.layout import RESULTS, RUN_MC, benchmark, fine_tune_files, mc_eval_files
from sftlab.silly.prompts import NEUTRAL_RULE
from sftlab.silly.rules import load_rule_set, rule_ids, study_arms

SILLY_DIR = f"{RESULTS}/silly"
RULES = f"{SILLY_DIR}/rules.yaml"  # the rules (a config file, or LLM-derived as r1..rN)
RULES_STATS = f"{SILLY_DIR}/rules.stats.json"  # provenance, LLM statistics
ITEMS = f"{SILLY_DIR}/items.parquet"  # the MMLU items every arm rewrites
ITEMS_STATS = f"{SILLY_DIR}/items.stats.json"  # contamination check counts
SETS = f"{SILLY_DIR}/sets"
GENERATED = f"{SETS}/generated/{{arm}}.jsonl"  # rule and neutral rewrites
FAILURES = f"{SETS}/{{arm}}.failures.jsonl"
SET_STATS = f"{SETS}/{{arm}}.stats.json"
COMMON_ITEMS = f"{SETS}/common_items.json"  # items every arm rewrote (min_kept_share gate)
SET = f"{SETS}/{{arm}}.jsonl"  # an arm's SFT set, on the common items
DELTAS = f"{SILLY_DIR}/deltas.parquet"  # per model, arm, subject | category | all, seed: delta, CI
DELTAS_CSV = f"{SILLY_DIR}/deltas.csv"
DELTAS_HTML = f"{SILLY_DIR}/deltas.html"
CONSISTENCY = f"{SILLY_DIR}/consistency.csv"  # the rules' shared subject effect vs plain halves
FIGURE = f"{SILLY_DIR}/figures/{{model}}/{{name}}.{{fmt}}"
HEATMAP_FIGURE = "delta_heatmap"
CATEGORY_FIGURE = "category_bars"
CORRELATION_FIGURE = "rule_correlation"
FIGURES = (HEATMAP_FIGURE, CATEGORY_FIGURE, CORRELATION_FIGURE)  # per model


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
    return {"rules": RULES}


def runs(silly: dict[str, Any], arms: list[str]) -> list[dict[str, Any]]:
    """(model, arm, seed) of every evaluation the summary reads, base_s0 of each model included."""
    out = [{"model": m, "arm": "base", "seed": 0} for m in silly["models"]]
    for model in silly["models"]:
        out += [{"model": model, "arm": a, "seed": s} for a in arms for s in silly["seeds"]]
    return out


def run_path(run: dict[str, Any]) -> str:
    return RUN_MC.format(study="silly", model=run["model"], arm=run["arm"], seed=run["seed"])


def sft_set(model: str, arm: str, seed: int | str) -> str:
    """The SFT set of run (model, arm, seed): the arm's set, shared by every model and seed."""
    return SET.format(arm=arm)


def figure_path(model: str, name: str, fmt: str) -> str:
    return FIGURE.format(model=model, name=name, fmt=fmt)


def figures(silly: dict[str, Any], fmt: str) -> list[str]:
    if not silly["enabled"]:
        return []
    return [figure_path(m, name, fmt) for m in silly["models"] for name in FIGURES]


def final_outputs(silly: dict[str, Any], fmt: str) -> list[str]:
    if not silly["enabled"]:
        return []
    return [DELTAS, DELTAS_CSV, CONSISTENCY] + figures(silly, fmt)


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
    files = [benchmark("derive_rules"), benchmark("sample_silly_items")]
    files += [benchmark("generate_rule_set", "{arm}").format(arm=arm) for arm in generated]
    files.append(benchmark("summarise_silly"))
    if silly["rules"]["source"] == "llm":
        files.append(RULES_STATS)
    if silly["generator"]["kind"] == "llm":
        files += [SET_STATS.format(arm=arm) for arm in generated]
    for run in runs(silly, study_arms(silly)):
        if run["arm"] != "base":
            files += fine_tune_files("silly", run["model"], run["arm"], run["seed"])
        files += mc_eval_files("silly", run["model"], run["arm"], run["seed"])
    return files
