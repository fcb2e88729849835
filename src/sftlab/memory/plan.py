"""The memory study's results/ paths and job grid: what memory.smk writes and expands over.

The path patterns below are the only place they are written: rules use them verbatim (Snakemake
fills the `{model}`-style wildcards) and the functions fill them for the targets. The functions take
the validated `memory` config section (plain dict) and return plain values, testable without
Snakemake. Fine-tunes and evaluations live in the run folders of sftlab.layout.
"""

from __future__ import annotations

from typing import Any

from sftlab.layout import RESULTS, RUN_QA, benchmark, fine_tune_files, qa_eval_files

MEMORY_DIR = f"{RESULTS}/memory"
MODEL_DIR = f"{MEMORY_DIR}/{{model}}"  # one probed model
PROBE = f"{MODEL_DIR}/probe.parquet"  # hits per fact x template
PROBE_RAW = f"{MODEL_DIR}/probe_raw.parquet"  # every sampled answer
PROBE_META = f"{MODEL_DIR}/probe.json"
PROBE_SHARDS = f"{MODEL_DIR}/_probe_shards"  # finished shards of an interrupted probe
PROBE_TF = f"{MODEL_DIR}/probe_tf.parquet"  # teacher-forcing estimator (optional)
PROBE_TF_META = f"{MODEL_DIR}/probe_tf.json"
# The probe table each estimator writes (memory.probe.estimator picks the one levels are read from).
PROBE_TABLE = {"sample": PROBE, "teacher_forcing": PROBE_TF}
ESTIMATOR_AGREEMENT = f"{MODEL_DIR}/estimator_agreement.json"  # Spearman of the two R's
SLICK = f"{MODEL_DIR}/slick.parquet"  # SliCK categories (optional)
SLICK_META = f"{MODEL_DIR}/slick.json"
SLICK_AGREEMENT = f"{MODEL_DIR}/slick_agreement.csv"
LEVEL_TABLE = f"{MODEL_DIR}/levels.parquet"  # R and level per fact
LEVEL_COUNTS = f"{MODEL_DIR}/level_counts.csv"
ARM = "L{level}_n{n}"  # a trained arm: its level and set size
# One run's level-pure SFT set (.jsonl) and its sidecar (.json, flags a short set).
SET_STEM = f"{MODEL_DIR}/sets/{{arm}}_s{{seed}}"
SET = f"{SET_STEM}.jsonl".replace("{arm}", ARM)
SET_REPORT = f"{SET_STEM}.json".replace("{arm}", ARM)
TESTSET = f"{MODEL_DIR}/test_{{testset}}.parquet"  # QA items, group = test memory level
EXPOSURE = f"{MODEL_DIR}/exposure.json"  # demo world only: R vs exposure validity check
SUMMARY = f"{MEMORY_DIR}/summary.parquet"  # accuracy per run and test level
SUMMARY_CSV = f"{MEMORY_DIR}/summary.csv"
SUMMARY_HTML = f"{MEMORY_DIR}/summary.html"
SHORT_SETS = f"{MEMORY_DIR}/short_sets.json"  # sets smaller than n, and empty ones skipped
FIGURES_DIR = f"{MEMORY_DIR}/figures"
# Figure names (a figure's path: figure(name, format)); {model}, {a}, {b} are wildcards.
ACCURACY_FIGURE = "accuracy_vs_n"
DISTRIBUTION_FIGURE = "level_distribution"
HEATMAP_FIGURE = "level_heatmap_{model}"
TRANSITIONS_FIGURE = "transitions_{a}_{b}"
EXPOSURE_FIGURE = "exposure_{model}"
TESTSETS = ("in", "ood")
QA_GROUP_BY = ["group"]  # the test items' column QA accuracy is grouped by: the test memory level


def train_levels(memory: dict[str, Any]) -> list[int]:
    """Levels to fine-tune on: memory.train_levels, or every level of the bins."""
    if memory["train_levels"] is not None:
        return list(memory["train_levels"])
    return list(range(len(memory["levels"]["bins"])))


def arm(level: int, n: int | str) -> str:
    return ARM.format(level=level, n=n)


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
                                "sidecar": SET_REPORT.format(
                                    model=model, level=level, n=n, seed=seed
                                ),
                            }
                        )
    return out


def eval_path(run: dict[str, Any]) -> str:
    return RUN_QA.format(study="memory", **{k: run[k] for k in ("model", "arm", "seed", "testset")})


def testset_path(run: dict[str, Any]) -> str:
    return qa_items(run["model"], run["testset"])


def eval_outputs(pattern: str) -> list[str]:
    """A run-folder pattern with `{testset}` (layout.RUN_QA*) for every test set, the other
    wildcards kept: what one evaluate_qa job writes."""
    return [pattern.replace("{testset}", testset) for testset in TESTSETS]


def sft_set(model: str, arm: str, seed: int | str) -> str:
    """The SFT set of run (model, arm, seed); the arm names the level and size (ARM)."""
    return f"{SET_STEM}.jsonl".format(model=model, arm=arm, seed=seed)


def qa_items(model: str, testset: str) -> str:
    return TESTSET.format(model=model, testset=testset)


def figure(name: str, fmt: str) -> str:
    return f"{FIGURES_DIR}/{name}.{fmt}"


def sidecars(memory: dict[str, Any]) -> list[str]:
    return sorted({r["sidecar"] for r in runs(memory) if r["sidecar"]})


def figures(memory: dict[str, Any], fmt: str, on_demo: bool) -> list[str]:
    """Every figure: accuracy vs n, level distribution, a heat map per model, a transition matrix
    per pair of models, and on the demo world R against exposure per model.
    """
    if not memory["enabled"]:
        return []
    models = memory["models"]
    out = [figure(ACCURACY_FIGURE, fmt), figure(DISTRIBUTION_FIGURE, fmt)]
    out += [figure(HEATMAP_FIGURE.format(model=m), fmt) for m in models]
    out += [
        figure(TRANSITIONS_FIGURE.format(a=a, b=b), fmt)
        for i, a in enumerate(models)
        for b in models[i + 1 :]
    ]
    if on_demo:
        out += [figure(EXPOSURE_FIGURE.format(model=m), fmt) for m in models]
    return out


def final_outputs(memory: dict[str, Any], fmt: str, on_demo: bool) -> list[str]:
    if not memory["enabled"]:
        return []
    out = [SUMMARY, SUMMARY_CSV]
    out += figures(memory, fmt, on_demo)
    if memory["probe"]["compare_estimators"]:
        out += [ESTIMATOR_AGREEMENT.format(model=m) for m in memory["models"]]
    if on_demo:
        out += [EXPOSURE.format(model=m) for m in memory["models"]]
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
    out = [
        benchmark(rule, "{model}").format(model=m)
        for rule in costly_rules(memory)
        for m in memory["models"]
    ]
    evaluated = dict.fromkeys((r["model"], r["arm"], r["seed"]) for r in runs(memory))
    for model, name, seed in sorted(run for run in evaluated if run[1] != "base"):
        out += fine_tune_files("memory", model, name, seed)
    for model, name, seed in evaluated:  # one evaluate_qa job per run, every test set
        out += qa_eval_files("memory", model, name, seed, TESTSETS)
    return out
