"""Snakemake's rerun triggers rebuild exactly what a change touches, read from the dry-run plan.

The starting state is a finished tiny run of both studies (two memory models, the silly study's
rewrites through a scripted OpenAI-compatible server; marked slow, ~10 min on 2 cores), and the same
DAG "finished" in seconds by `snakemake --touch` over empty outputs, which records params, code and
inputs exactly as a run does. Each test changes one thing, reads the plan of `snakemake --dry-run`
(every job with its wildcards and reason), and restores the change:
- a plot setting re-runs the plotting rules only;
- one silly rule's prompt re-runs that rule's generation, training, evaluation and the summaries;
- a probe setting re-runs probing and everything after it, and a new model runs alone;
- with results/ deleted, the LLM stages re-run from the persistent cache without one request;
- speed-only settings (batch and shard sizes) re-run nothing; an edit of a library module re-runs
  the rules whose scripts import it (sftlab.triggers).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from sftlab.testing.llm_server import ScriptedLLMServer, last_user_text
from sftlab.testing.workflow import TINY_RULES, PlannedJob, Workflow, copy_workflow, parse_plan

API_KEY = {"OPENAI_API_KEY": "sk-test"}  # the scripted server accepts any key

# Rules that only gather, summarise or draw: allowed in any plan that changes something upstream.
AGGREGATES = {"all", "figures", "summarise_run", "summarise_demo"}
PLOT_PREFIX = "plot_"
LLM_RULES = {"derive_rules", "generate_rule_set"}
SECOND_MODEL = "demo2"  # the demo model under a second name: probed, levelled, trained on its own
CHANGED_RULE = "counterintuitive"  # the first of the tiny rules file


def rewrite_answer(messages: list[dict]) -> str:
    """A valid rule-styled rewrite (the generator's JSON schema) that keeps the gold letter."""
    gold = re.search(r"Correct answer: ([ABCD])\.", last_user_text(messages)).group(1)
    return json.dumps({"explanation": f"Scripted explanation of {gold}.", "answer_letter": gold})


def cache_config(llm_url: str) -> dict:
    return {
        "models": {SECOND_MODEL: {"path": "results/demo/model", "kind": "base"}},
        "memory": {"models": ["demo", SECOND_MODEL]},
        "silly": {"models": ["demo"], "generator": {"kind": "llm"}},
        "llm": {"model": "openai/scripted", "api_base": llm_url, "max_retries": 0},
    }


@pytest.fixture(scope="module")
def llm_server() -> Iterator[ScriptedLLMServer]:
    with ScriptedLLMServer(answer=rewrite_answer) as server:
        yield server


@pytest.fixture(scope="module")
def completed_run(repo, tmp_path_factory, llm_server) -> Workflow:
    """A finished tiny run of both studies (minutes)."""
    workflow = copy_workflow(
        repo, tmp_path_factory.mktemp("run") / "wf", cache_config(llm_server.url)
    )
    workflow.run(env=API_KEY)
    return workflow


@pytest.fixture(scope="module", params=["touched", pytest.param("run", marks=pytest.mark.slow)])
def completed(request, repo, tmp_path_factory) -> Workflow:
    """The starting state of the plan tests: the touched DAG (~40 s) or the real tiny run."""
    if request.param == "run":
        return request.getfixturevalue("completed_run")
    workflow = copy_workflow(
        repo, tmp_path_factory.mktemp("touched") / "wf", cache_config("http://127.0.0.1:9/v1")
    )
    workflow.touch_all()
    return workflow


@contextmanager
def changed(workflow: Workflow, edit) -> Iterator[None]:
    """Apply `edit(config, root)` (which may also edit the rules file) for the duration of the
    block, then restore config and rules file, the file's mtime included (it is an input)."""
    saved = copy.deepcopy(workflow.config)
    rules_file = workflow.root / TINY_RULES
    saved_rules, saved_stat = rules_file.read_bytes(), rules_file.stat()
    config = copy.deepcopy(workflow.config)
    edit(config, workflow.root)
    workflow.write_config(config)
    try:
        yield
    finally:
        workflow.write_config(saved)
        if rules_file.read_bytes() != saved_rules:
            rules_file.write_bytes(saved_rules)
        os.utime(rules_file, ns=(saved_stat.st_atime_ns, saved_stat.st_mtime_ns))


def rules_of(plan: list[PlannedJob]) -> set[str]:
    return {job.rule for job in plan}


def describe(plan: list[PlannedJob]) -> str:
    return "\n".join(f"{job.rule} {job.wildcards} ({job.reason})" for job in plan)


def test_completed_run_leaves_nothing_to_do(completed):
    plan = completed.plan()
    assert plan == [], describe(plan)


def test_plot_setting_reruns_only_plots(completed):
    def edit(config, root):
        plots = config.setdefault("plots", {})
        plots["dpi"] = plots.get("dpi", 150) + 10

    with changed(completed, edit):
        plan = completed.plan()
    plots = [job for job in plan if job.rule.startswith(PLOT_PREFIX)]
    others = rules_of(plan) - AGGREGATES - {job.rule for job in plots}
    assert plots, describe(plan)
    assert not others, describe(plan)
    assert "summarise_run" not in rules_of(plan), "plots have no statistics to summarise"


@pytest.mark.slow
def test_figures_target_redraws_from_summaries_only(completed_run):
    workflow = completed_run
    extension = workflow.config.get("plots", {}).get("format", "png")
    for figure in (workflow.root / "results").rglob(f"*.{extension}"):
        if "figures" in figure.parts:
            figure.unlink()
    plan = workflow.plan("figures")
    assert plan, "no figure registered in FIGURES"
    assert {job.rule for job in plan} - {"figures"} <= {
        job.rule for job in plan if job.rule.startswith(PLOT_PREFIX)
    }, describe(plan)
    workflow.run("figures")
    assert workflow.plan() == []


def test_rule_prompt_change_reruns_only_that_rules_branch(completed):
    def edit(config, root):
        path = root / TINY_RULES
        rules = yaml.safe_load(path.read_text())
        rule = next(r for r in rules["rules"] if r["id"] == CHANGED_RULE)
        rule["how_to_apply"] += " Keep it short."
        path.write_text(yaml.safe_dump(rules, sort_keys=False))

    with changed(completed, edit):
        plan = completed.plan()
    branch = [job for job in plan if job.wildcards and not job.rule.startswith(PLOT_PREFIX)]
    assert {"generate_rule_set", "train_sft", "evaluate_mc"} <= rules_of(branch), describe(plan)
    for job in branch:
        arm = job.wildcards.get("rule") or job.wildcards.get("arm")
        assert job.wildcards.get("study", "silly") == "silly", describe(plan)
        assert arm == CHANGED_RULE, describe(plan)
    unbranched = rules_of(plan) - rules_of(branch) - AGGREGATES
    summaries = {r for r in unbranched if not r.startswith(PLOT_PREFIX)}
    # derive_rules (source: file) copies the edited rules file with provenance; no LLM call.
    # select_common_items re-reads every arm's rewrites; the other arms' sets take its list as
    # ancient() and are not rebuilt.
    assert summaries <= {"summarise_silly", "derive_rules", "select_common_items"}, describe(plan)


MEMORY_CHAIN = {  # everything after probing, per model: levels, sets, test sets, runs, evaluations
    "probe_memory",
    "assign_levels",
    "sample_memory_set",
    "build_memory_testsets",
    "train_sft",
    "evaluate_qa",
}


def per_model_jobs(plan: list[PlannedJob]) -> list[PlannedJob]:
    """Jobs of one model; figures drawn from the joint summary redraw every model's panel."""
    return [
        job for job in plan if "model" in job.wildcards and not job.rule.startswith(PLOT_PREFIX)
    ]


def test_probe_setting_reruns_probing_and_after_only(completed):
    def edit(config, root):
        config["memory"]["probe"]["samples"] += 1

    with changed(completed, edit):
        plan = completed.plan()
    per_model = per_model_jobs(plan)
    assert rules_of(per_model) == MEMORY_CHAIN, describe(plan)
    assert {job.wildcards.get("study", "memory") for job in per_model} == {"memory"}
    models = {job.wildcards["model"] for job in per_model}
    assert models == set(completed.config["memory"]["models"]), describe(plan)
    probes = [job for job in plan if job.rule == "probe_memory"]
    assert all("Params have changed" in job.reason for job in probes), describe(probes)
    others = rules_of(plan) - rules_of(per_model) - AGGREGATES
    assert {r for r in others if not r.startswith(PLOT_PREFIX)} == {"summarise_memory"}, describe(
        plan
    )


def test_one_models_probe_setting_reruns_that_model_only(completed):
    def edit(config, root):
        config["memory"]["probe_overrides"] = {SECOND_MODEL: {"samples": 3}}

    with changed(completed, edit):
        plan = completed.plan()
    per_model = per_model_jobs(plan)
    assert rules_of(per_model) == MEMORY_CHAIN, describe(plan)
    assert {job.wildcards["model"] for job in per_model} == {SECOND_MODEL}, describe(plan)
    assert not rules_of(plan) & (LLM_RULES | {"summarise_silly"}), describe(plan)


def test_new_model_runs_alone(completed):
    """A model added to the study runs its own chain; the models already done stay untouched."""

    def edit(config, root):
        config["models"]["demo3"] = {"path": "results/demo/model", "kind": "base"}
        config["memory"]["models"].append("demo3")

    with changed(completed, edit):
        plan = completed.plan()
    per_model = per_model_jobs(plan)
    assert rules_of(per_model) == MEMORY_CHAIN, describe(plan)
    assert {job.wildcards["model"] for job in per_model} == {"demo3"}, describe(plan)
    assert not rules_of(plan) & (LLM_RULES | {"summarise_silly"}), describe(plan)


@pytest.mark.slow
def test_deleted_results_rerun_without_llm_requests(completed_run, llm_server, tmp_path):
    """Works on a copy, so the completed state of the module stays intact."""
    copy_root = tmp_path / "wf"
    shutil.copytree(completed_run.root, copy_root, symlinks=True)
    workflow = Workflow(copy_root, completed_run.config)
    llm_sets = sorted(str(p.relative_to(copy_root)) for p in _llm_outputs(copy_root))
    assert llm_sets, "the completed run wrote no LLM outputs"
    shutil.rmtree(copy_root / "results")
    before = llm_server.requests
    workflow.run(*llm_sets, env=API_KEY)
    assert llm_server.requests == before, "a re-run after deleting results/ called the LLM"
    stats = [json.loads(p.read_text()) for p in _llm_stats(copy_root)]
    assert stats and all(s["requests_sent"] == 0 for s in stats), stats
    assert sum(s["cache_hits"] for s in stats) == sum(s["conversations"] for s in stats) > 0


def _llm_outputs(root: Path) -> list[Path]:
    return list((root / "results/silly/sets").glob("*.jsonl"))


def _llm_stats(root: Path) -> list[Path]:
    return [
        path
        for path in (root / "results/silly").rglob("*.json")
        if "requests_sent" in path.read_text()
    ]


def test_speed_only_settings_rerun_nothing(completed):
    """Batch and shard sizes change speed, not results: the README's out-of-memory knobs."""

    def edit(config, root):
        config["memory"]["probe"]["batch_size"] = 7
        config["memory"]["probe"]["shard_facts"] = 13
        config["memory"]["slick"]["batch_size"] = 5
        config.setdefault("evaluate", {})["batch_size"] = 3

    with changed(completed, edit):
        plan = completed.plan()
    assert plan == [], describe(plan)


def test_library_change_reruns_the_rules_that_import_it(completed, tmp_path):
    """An edit of src/sftlab/plots/memory.py re-runs exactly the rules whose scripts import it."""
    from sftlab.triggers import SOURCE_ROOT, library_files

    src = tmp_path / "src"
    shutil.copytree(SOURCE_ROOT, src / "sftlab", ignore=shutil.ignore_patterns("__pycache__"))
    edited = src / "sftlab/plots/memory.py"
    env = {"PYTHONPATH": str(src)}
    unchanged = completed.snakemake("--cores", "1", "--dry-run", env=env).stdout
    assert parse_plan(unchanged) == [], "a copy with the same content is the same code"
    edited.write_text(edited.read_text() + "\n# an edit\n")
    plan = parse_plan(completed.snakemake("--cores", "1", "--dry-run", env=env).stdout)
    scripts = sorted((completed.root / "workflow/scripts").glob("*.py"))
    importers = {
        script.stem
        for script in scripts
        if SOURCE_ROOT / "plots/memory.py" in library_files(str(script))
    }
    assert {"plot_level_heatmap", "plot_memory_accuracy"} <= importers
    assert rules_of(plan) - AGGREGATES == importers & rules_of(completed.plan("--forceall"))
    assert all("Params have changed" in job.reason for job in plan if job.rule in importers)
