"""The memory study's job grid as paths: what memory.smk expands over, testable without Snakemake.

Every function takes the validated `memory` config section (plain dict) and returns plain values.
"""

from __future__ import annotations

from typing import Any

from sftlab.run_stats import fine_tune_files, qa_eval_files

MEMORY_DIR = "results/memory"
FIGURES_DIR = f"{MEMORY_DIR}/figures"
TESTSETS = ("in", "ood")
COSTLY_RULES = ("probe_memory", "probe_teacher_forcing", "probe_slick")


def train_levels(memory: dict[str, Any]) -> list[int]:
    """Levels to fine-tune on: memory.train_levels, or every level of the bins."""
    if memory["train_levels"] is not None:
        return list(memory["train_levels"])
    return list(range(len(memory["levels"]["bins"])))


def arm(level: int, n: int | str) -> str:
    return f"L{level}_n{n}"


def runs(memory: dict[str, Any]) -> list[dict[str, Any]]:
    """Every evaluation the summary reads, per model and test set: the base model, then each
    (training level, n, seed) arm with the sidecar of its set.
    """
    out = []
    for model in memory["models"]:
        for testset in TESTSETS:
            out.append(
                {
                    "model": model,
                    "train_level": "base",
                    "n": "0",
                    "seed": 0,
                    "testset": testset,
                    "arm": "base",
                    "sidecar": None,
                }
            )
            for level in train_levels(memory):
                for n in memory["sizes"]:
                    for seed in memory["seeds"]:
                        name = arm(level, n)
                        out.append(
                            {
                                "model": model,
                                "train_level": str(level),
                                "n": str(n),
                                "seed": seed,
                                "testset": testset,
                                "arm": name,
                                "sidecar": f"{MEMORY_DIR}/{model}/sets/{name}_s{seed}.json",
                            }
                        )
    return out


def eval_path(run: dict[str, Any]) -> str:
    folder = f"results/runs/memory/{run['model']}/{run['arm']}_s{run['seed']}"
    return f"{folder}/eval_{run['testset']}.parquet"


def testset_path(run: dict[str, Any]) -> str:
    return f"{MEMORY_DIR}/{run['model']}/test_{run['testset']}.parquet"


def sidecars(memory: dict[str, Any]) -> list[str]:
    return sorted({r["sidecar"] for r in runs(memory) if r["sidecar"]})


def figures(memory: dict[str, Any], fmt: str, on_demo: bool) -> list[str]:
    """Every figure: accuracy vs n, level distribution, a heat map per model, a transition matrix
    per pair of models, and on the demo world R against exposure per model.
    """
    if not memory["enabled"]:
        return []
    models = memory["models"]
    out = [f"{FIGURES_DIR}/accuracy_vs_n.{fmt}", f"{FIGURES_DIR}/level_distribution.{fmt}"]
    out += [f"{FIGURES_DIR}/level_heatmap_{m}.{fmt}" for m in models]
    out += [
        f"{FIGURES_DIR}/transitions_{a}_{b}.{fmt}"
        for i, a in enumerate(models)
        for b in models[i + 1 :]
    ]
    if on_demo:
        out += [f"{FIGURES_DIR}/exposure_{m}.{fmt}" for m in models]
    return out


def final_outputs(memory: dict[str, Any], fmt: str, on_demo: bool) -> list[str]:
    if not memory["enabled"]:
        return []
    out = [f"{MEMORY_DIR}/summary.parquet", f"{MEMORY_DIR}/summary.csv"]
    out += figures(memory, fmt, on_demo)
    if memory["probe"]["compare_estimators"]:
        out += [f"{MEMORY_DIR}/{m}/estimator_agreement.json" for m in memory["models"]]
    if on_demo:
        out += [f"{MEMORY_DIR}/{m}/exposure.json" for m in memory["models"]]
    return out


def costly_rules(memory: dict[str, Any]) -> list[str]:
    rules = ["probe_memory"]
    probe = memory["probe"]
    if probe["estimator"] == "teacher_forcing" or probe["compare_estimators"]:
        rules.append("probe_teacher_forcing")
    if memory["slick"]["enabled"]:
        rules.append("probe_slick")
    return rules


def stats_files(memory: dict[str, Any]) -> list[str]:
    """Benchmarks of the probing rules, and the metrics and benchmark of every fine-tune and
    evaluation (the base model's included), for the run statistics.
    """
    if not memory["enabled"]:
        return []
    out = [f"benchmarks/{rule}/{m}.tsv" for rule in costly_rules(memory) for m in memory["models"]]
    trained = sorted(
        {(r["model"], r["arm"], r["seed"]) for r in runs(memory) if r["arm"] != "base"}
    )
    for model, name, seed in trained:
        out += fine_tune_files("memory", model, name, seed)
    for run in runs(memory):
        out += qa_eval_files("memory", run["model"], run["arm"], run["seed"], run["testset"])
    return out
