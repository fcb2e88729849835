"""The memory study's job grid: runs, figures and final outputs from the config section."""

import yaml

from sftlab import layout
from sftlab.config import validate_config
from sftlab.memory import plan


def memory_section(repo, **changes):
    config = yaml.safe_load((repo / "config/config.yaml").read_text())
    config["memory"].update(changes)
    validate_config(config, repo / "workflow/schemas/config.schema.yaml")
    return config["memory"]


def test_default_grid(repo):
    memory = memory_section(repo)
    runs = plan.runs(memory)
    trained = [r for r in runs if r["arm"] != "base"]
    levels, sizes, seeds = len(memory["levels"]["bins"]), len(memory["sizes"]), len(memory["seeds"])
    assert len(trained) == levels * sizes * seeds * 2  # x 2 test sets
    assert sum(r["arm"] == "base" for r in runs) == 2
    assert plan.eval_path(trained[0]) == "results/runs/memory/demo/L0_n20_s0/eval_in.parquet"
    assert len(plan.sidecars(memory)) == levels * sizes * seeds


def test_train_levels_restrict_the_grid(repo):
    memory = memory_section(repo, train_levels=[2])
    assert {r["train_level"] for r in plan.runs(memory)} == {"base", "2"}


def test_figures_and_outputs(repo):
    memory = memory_section(repo, models=["demo", "demo"])
    figures = plan.figures(memory, "png", on_demo=True)
    assert "results/memory/figures/transitions_demo_demo.png" in figures
    assert "results/memory/figures/exposure_demo.png" in figures
    outputs = plan.final_outputs(memory, "png", on_demo=False)
    assert "results/memory/summary.parquet" in outputs
    assert not any("exposure" in p for p in outputs)
    assert plan.final_outputs(memory_section(repo, enabled=False), "png", True) == []


def test_stats_files(repo):
    memory = memory_section(repo)
    files = plan.stats_files(memory)
    assert "benchmarks/probe_memory/demo.tsv" in files
    assert sum(f.endswith("train/metrics.json") for f in files) == len(plan.sidecars(memory))
    evals = sum(f.endswith(".json") and "/eval_" in f for f in files)
    assert evals == len(plan.runs(memory))  # every trained arm and the base model, x 2 test sets
    assert "benchmarks/train_sft/memory/demo/L0_n20_s0.tsv" in files
    # one evaluate_qa job per run writes both test sets: one benchmark per run
    eval_benchmarks = [f for f in files if f.startswith("benchmarks/evaluate_qa/")]
    assert len(eval_benchmarks) == len(plan.runs(memory)) // len(plan.TESTSETS)
    assert "benchmarks/evaluate_qa/memory/demo/base_s0.tsv" in eval_benchmarks
    assert plan.stats_files(memory_section(repo, enabled=False)) == []


def test_one_evaluation_job_writes_every_test_set():
    """evaluate_qa's outputs: each test set's file, the run's wildcards left for Snakemake."""
    outputs = plan.eval_outputs(layout.RUN_QA)
    assert len(outputs) == len(plan.TESTSETS)
    for testset, path in zip(plan.TESTSETS, outputs, strict=True):
        assert path == layout.RUN_QA.replace("{testset}", testset)
        assert "{testset}" not in path and "{arm}_s{seed}" in path
