"""The results/ tree: where every stage writes, as path patterns the rules use verbatim.

This module owns the shared folders (models, demo, data, runs, run statistics); each study's own
folder is drawn in its plan module (sftlab.memory.plan, sftlab.silly.plan), which builds on these.
No other module or rule file writes a `results/` path. Patterns hold Snakemake wildcards
(`{model}`); `str.format` fills them where a plan needs concrete paths. `TREE` is the top level,
drawn as the Snakefile's comment (`python -m sftlab.layout` prints it; tests/unit/test_layout.py
keeps the comment, TREE and every pattern in step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RESULTS = "results"

MODEL_MARKER = f"{RESULTS}/models/{{model}}.json"

DEMO = f"{RESULTS}/demo"
DEMO_FACTS = f"{DEMO}/world/facts.parquet"
DEMO_CORPUS = f"{DEMO}/world/corpus.txt"
DEMO_WORLD_SUMMARY = f"{DEMO}/world/summary.json"
# The released datasets' layouts, written by the demo world and read like a download.
DEMO_RAW = {
    "entityquestions": f"{DEMO}/raw/entityquestions",
    "mmlu": f"{DEMO}/raw/mmlu",
    "ruozhiba": f"{DEMO}/raw/ruozhiba.jsonl",
}
DEMO_TOKENIZER = f"{DEMO}/tokenizer"
DEMO_MODEL = f"{DEMO}/model"
DEMO_PRETRAIN_SUMMARY = f"{DEMO}/pretrain_summary.json"
DEMO_SUMMARY = f"{DEMO}/summary.json"
DEMO_MODEL_NAME = "demo"  # the models entry the demo's headline summary reads

DATA = f"{RESULTS}/data"
DATA_TABLE = f"{DATA}/{{name}}.parquet"
DATA_REPORT = f"{DATA}/{{name}}.report.json"
# The dataset each study reads (the data stage builds a table only when a study reads it).
DATA_USERS = {"entityquestions": "memory", "mmlu": "silly", "ruozhiba": "silly"}

RUN = f"{RESULTS}/runs/{{study}}/{{model}}/{{arm}}_s{{seed}}"  # one fine-tune, or base_s0
RUN_ADAPTER = f"{RUN}/adapter"  # the trained weights (temporary unless train.keep_weights)
RUN_LOSSES = f"{RUN}/train/loss.parquet"
RUN_LOSS_PLOT = f"{RUN}/train/loss.png"
RUN_METRICS = f"{RUN}/train/metrics.json"
RUN_TRAIN_CONFIG = f"{RUN}/train/config.yaml"  # the resolved training settings
RUN_PROVENANCE = f"{RUN}/train/provenance.json"
RUN_QA = f"{RUN}/eval_{{testset}}.parquet"  # short-answer QA per item (memory study)
RUN_QA_SUMMARY = f"{RUN}/eval_{{testset}}.json"
RUN_MC = f"{RUN}/mmlu.parquet"  # MMLU per item (silly study)
RUN_MC_SUMMARY = f"{RUN}/mmlu.json"
RUN_CHECKPOINTS = f"{RESULTS}/.ckpt/runs/{{study}}/{{model}}/{{arm}}_s{{seed}}"
RUN_STATS_JSON = f"{RESULTS}/run_stats.json"
RUN_STATS_HTML = f"{RESULTS}/run_stats.html"
BENCHMARKS = "benchmarks"  # Snakemake's per-job timings (`benchmark:`), beside results/
RUN_JOB = "{study}/{model}/{arm}_s{seed}"  # the job part of a run rule's benchmark

# The top of the tree: entry -> what it holds (the Snakefile's comment is printed from this).
TREE = {
    "models/": "{model}.json: fetch markers of hub models (snapshots: the Hugging Face cache)",
    "demo/": "world/, raw/ (released dataset layouts), tokenizer/, model/, summaries",
    "data/": "{mmlu,entityquestions,ruozhiba}.parquet, <name>.report.json",
    "memory/": "{model}/ probes, levels, sets/, test sets; summaries, figures/ (memory.plan)",
    "silly/": "rules.yaml, items, sets/; deltas, figures/{model}/ (silly.plan)",
    "runs/": "{study}/{model}/{arm}_s{seed}/: adapter/, train/, eval_*.parquet, mmlu.parquet",
    ".ckpt/": "runs/...: checkpoints of unfinished fine-tunes (a killed job resumes from them)",
    "run_stats.": "json, html: LLM calls, cost, training and wall time per stage",
}


def benchmark(rule: str, job: str | None = None) -> str:
    """The benchmark file of a rule's job: benchmarks/<rule>/<job>.tsv, or benchmarks/<rule>.tsv
    for a rule with one job. A `job` with wildcards is the rule's own `benchmark:` pattern; the
    plans `.format` it for the run statistics, which read the rule back from the path
    (sftlab.run_stats.benchmark_rule)."""
    return f"{BENCHMARKS}/{rule}/{job}.tsv" if job else f"{BENCHMARKS}/{rule}.tsv"


def run_benchmark(rule: str, study: str, model: str, arm: str, seed: int) -> str:
    """The benchmark file of one run's job of `rule` (train_sft, evaluate_qa, evaluate_mc)."""
    return benchmark(rule, RUN_JOB).format(study=study, model=model, arm=arm, seed=seed)


DEMO_PRETRAIN_BENCHMARK = benchmark("pretrain_demo_model", DEMO_MODEL_NAME)


def data_table(name: str) -> str:
    return DATA_TABLE.format(name=name)


def data_report(name: str) -> str:
    return DATA_REPORT.format(name=name)


def fine_tune_files(study: str, model: str, arm: str, seed: int) -> list[str]:
    """The metrics JSON and the benchmark of one train_sft job."""
    return [
        RUN_METRICS.format(study=study, model=model, arm=arm, seed=seed),
        run_benchmark("train_sft", study, model, arm, seed),
    ]


def qa_eval_files(
    study: str, model: str, arm: str, seed: int, testsets: Sequence[str]
) -> list[str]:
    """The summary JSON of each test set and the benchmark of one evaluate_qa job (a job
    evaluates every test set of its run with one model load)."""
    run = {"study": study, "model": model, "arm": arm, "seed": seed}
    return [
        *(RUN_QA_SUMMARY.format(**run, testset=testset) for testset in testsets),
        run_benchmark("evaluate_qa", study, model, arm, seed),
    ]


def mc_eval_files(study: str, model: str, arm: str, seed: int) -> list[str]:
    """The summary JSON and the benchmark of one evaluate_mc job."""
    return [
        RUN_MC_SUMMARY.format(study=study, model=model, arm=arm, seed=seed),
        run_benchmark("evaluate_mc", study, model, arm, seed),
    ]


def built_by_demo(path: str | None) -> bool:
    """Whether a models entry's path is an output of the demo world (not a folder to exist)."""
    return bool(path) and str(path).startswith(f"{DEMO}/")


def uses_demo_model(config: dict[str, Any]) -> bool:
    """Whether an enabled study reads the demo's pretrained model."""
    studies = [s for s in ("memory", "silly") if config[s].get("enabled", False)]
    paths = {config["models"][m].get("path") for s in studies for m in config[s]["models"]}
    return config["demo"]["enabled"] and DEMO_MODEL in paths


def memory_on_demo(config: dict[str, Any]) -> bool:
    """Whether the memory study reads the demo world's facts (whose exposure is known)."""
    return config["data"]["entityquestions"]["source"] == "demo"


def demo_outputs(config: dict[str, Any]) -> list[str]:
    """The demo's targets: its model and pretraining summary, and its headline summary when the
    memory study runs on the demo data with the demo model."""
    if not config["demo"]["enabled"]:
        return []
    out = [DEMO_MODEL, DEMO_PRETRAIN_SUMMARY]
    memory = config["memory"]
    if memory["enabled"] and DEMO_MODEL_NAME in memory["models"] and memory_on_demo(config):
        out.append(DEMO_SUMMARY)
    return out


def data_outputs(config: dict[str, Any]) -> list[str]:
    """Each table an enabled study reads, with its report."""
    return [
        path
        for name, study in DATA_USERS.items()
        if config[study].get("enabled", False)
        for path in (data_table(name), data_report(name))
    ]


def data_stats_files(config: dict[str, Any]) -> list[str]:
    """The data stage's benchmarks (prepare_ruozhiba, a quick rule, has none)."""
    return [
        benchmark(f"prepare_{name}")
        for name, study in DATA_USERS.items()
        if name != "ruozhiba" and config[study].get("enabled", False)
    ]


def demo_stats_files(config: dict[str, Any]) -> list[str]:
    """The benchmark of the demo pretraining, when an enabled study uses the demo model."""
    return [DEMO_PRETRAIN_BENCHMARK] if uses_demo_model(config) else []


def tree_comment() -> str:
    """The Snakefile's drawing of the results/ tree, one `#` line per top-level entry."""
    width = max(len(entry) for entry in TREE) + 2
    lines = [f"# {RESULTS}/ (under the config's `workdir:`; paper configs: experiments/<name>/)"]
    lines += [f"#   {entry:<{width}}{what}" for entry, what in TREE.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(tree_comment())
