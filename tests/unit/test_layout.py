"""The results/ tree is written once: the plan modules' patterns, the Snakefile's drawing of them,
and rule files that name no results/ path of their own."""

import re

import pytest

from sftlab import layout
from sftlab.memory import plan as memory_plan
from sftlab.run_stats import benchmark_rule
from sftlab.silly import plan as silly_plan

PLANS = (layout, memory_plan, silly_plan)


def patterns() -> dict[str, str]:
    """Every results/ path constant of the plan modules (name -> pattern)."""
    found = {}
    for module in PLANS:
        for name, value in vars(module).items():
            values = value.values() if isinstance(value, dict) else [value]
            for each in values:
                if isinstance(each, str) and each.startswith(f"{layout.RESULTS}/"):
                    found[f"{module.__name__}.{name}"] = each
    return found


def test_snakefile_draws_the_layout_tree(repo):
    """After a change of layout.TREE: paste `python -m sftlab.layout` over the drawing."""
    assert layout.tree_comment() in (repo / "Snakefile").read_text()


def test_every_pattern_lies_under_a_drawn_entry_and_every_entry_holds_one():
    found = {name: f"{p}/" for name, p in patterns().items()}  # a folder is under its own entry
    entries = [f"{layout.RESULTS}/{entry}" for entry in layout.TREE]
    stray = {name: p for name, p in found.items() if not any(p.startswith(e) for e in entries)}
    assert not stray
    empty = [e for e in entries if not any(p.startswith(e) for p in found.values())]
    assert not empty


@pytest.mark.parametrize("path", ["Snakefile", *(f"workflow/rules/{n}" for n in (
    "common.smk", "models.smk", "demo.smk", "data.smk", "train.smk", "evaluate.smk",
    "memory.smk", "silly.smk", "figures.smk", "report.smk",
))])  # fmt: skip
def test_rule_files_write_no_results_path(repo, path):
    code = [
        line for line in (repo / path).read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    assert not [line for line in code if re.search(r"[\"']results/", line)]
    # benchmark files too: the run statistics read them by the paths layout.benchmark gives
    assert not [line for line in code if re.search(r"[\"']benchmarks/", line)]


def test_benchmark_paths_name_their_rule():
    """run_stats groups benchmarks by the rule it reads back from layout.benchmark's path."""
    assert layout.benchmark("prepare_mmlu") == "benchmarks/prepare_mmlu.tsv"
    assert benchmark_rule(layout.benchmark("prepare_mmlu")) == "prepare_mmlu"
    run = layout.benchmark("train_sft", layout.RUN_JOB).format(
        study="memory", model="demo", arm="L1_n60", seed=0
    )
    assert run == "benchmarks/train_sft/memory/demo/L1_n60_s0.tsv"
    assert benchmark_rule(run) == "train_sft"
    assert benchmark_rule(layout.DEMO_PRETRAIN_BENCHMARK) == "pretrain_demo_model"


def test_study_sets_match_the_rules_that_write_them():
    arm = memory_plan.arm(2, 60)
    assert memory_plan.sft_set("m", arm, 1) == memory_plan.SET.format(
        model="m", level=2, n=60, seed=1
    )
    assert silly_plan.sft_set("m", "plain", 0) == silly_plan.SET.format(arm="plain")


def demo_config(enabled=True, memory_models=("demo",), source="demo"):
    return {
        "demo": {"enabled": enabled},
        "data": {"entityquestions": {"source": source}},
        "memory": {"enabled": True, "models": list(memory_models)},
        "silly": {"enabled": False, "models": []},
        "models": {"demo": {"path": layout.DEMO_MODEL}, "hub": {"path": None}},
    }


def test_demo_targets_follow_demo_enabled_and_the_memory_study():
    assert layout.demo_outputs(demo_config(enabled=False)) == []
    assert layout.DEMO_SUMMARY in layout.demo_outputs(demo_config())
    on_hub = layout.demo_outputs(demo_config(memory_models=("hub",)))
    assert on_hub == [layout.DEMO_MODEL, layout.DEMO_PRETRAIN_SUMMARY]
    assert layout.DEMO_SUMMARY not in layout.demo_outputs(demo_config(source="hub"))


def test_built_by_demo():
    assert layout.built_by_demo(layout.DEMO_MODEL)
    assert not layout.built_by_demo("models/results/demo/model")
    assert not layout.built_by_demo(None)
