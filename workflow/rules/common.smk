# Config validation, wildcard constraints and the input functions shared by several stages.
from pathlib import Path

import sftlab.config
import sftlab.layout as layout
import sftlab.memory.plan as memory_plan
import sftlab.paths
import sftlab.readiness
import sftlab.resources
import sftlab.silly.plan as silly_plan
import sftlab.triggers

# The repository root (this file is in workflow/rules/), under either entry point.
REPO = Path(workflow.current_basedir.get_path_or_uri(True)).parents[1]
sftlab.config.validate_config(config, REPO / "workflow/schemas/config.schema.yaml")
sftlab.paths.resolve_repo_paths(config, REPO)
# A fine-tune that cannot fit the GPUs it asks for fails before any job is queued.
sftlab.resources.check_gpu_memory(config)


wildcard_constraints:
    model="[A-Za-z0-9][A-Za-z0-9.-]*",
    study="memory|silly",
    arm="[A-Za-z0-9][A-Za-z0-9._-]*",
    seed=r"\d+",


# The plan of each study: its results/ paths and what its runs train on (sftlab.<study>.plan).
STUDY_PLANS = {"memory": memory_plan, "silly": silly_plan}
FIG_FORMAT = config["plots"]["format"]  # the file type of every figure
# CPU threads of a model job (probe, fine-tune, evaluation): 1 on the demo, so jobs run side by side.
MODEL_THREADS = sftlab.config.model_job_threads(config)
# On the demo world's facts the memory study also checks R against the known exposure.
MEMORY_ON_DEMO = layout.memory_on_demo(config)


def add_code_digests(rules):
    """A `code` param on every scripted rule: the digest of the sftlab modules it imports."""
    for each in rules:
        if each.script:
            path = REPO / "workflow/scripts" / Path(each.script).name
            each.set_params(code=sftlab.triggers.code_digest(path))


def get_final_outputs():
    """The default target's inputs: each enabled stage's tables and figures, and the run statistics."""
    return [
        *layout.demo_outputs(config),
        *layout.data_outputs(config),
        *memory_plan.final_outputs(config["memory"], FIG_FORMAT, MEMORY_ON_DEMO),
        *silly_plan.final_outputs(config["silly"], FIG_FORMAT),
        layout.RUN_STATS_JSON,
    ]


def get_figures():
    """Every figure of both studies (the `figures` target)."""
    return [
        *memory_plan.figures(config["memory"], FIG_FORMAT, MEMORY_ON_DEMO),
        *silly_plan.figures(config["silly"], FIG_FORMAT),
    ]


def get_run_stats_inputs():
    """Per stage, its statistics files (LLM stats, train metrics, evaluation summaries, benchmark
    TSVs) for the run statistics."""
    return {
        "memory": memory_plan.stats_files(config["memory"]),
        "silly": silly_plan.stats_files(config["silly"]),
        "data": layout.data_stats_files(config),
        "demo": layout.demo_stats_files(config),
    }


def get_model_entry(wildcards):
    return {"name": wildcards.model, **config["models"][wildcards.model]}


def get_train_gpus(wildcards):
    """GPUs of one fine-tune of the model (models.<name>.gpus; FSDP over them when > 1)."""
    return config["models"][wildcards.model]["gpus"]


def get_model_files(wildcards):
    """A local model folder (built by a rule, for the demo), or a hub model's fetch marker."""
    path = config["models"][wildcards.model]["path"]
    return [path] if path else [layout.MODEL_MARKER.format(model=wildcards.model)]


def get_hub_models():
    """The hub models an enabled study uses (fetch_models fetches them)."""
    used = {
        m
        for s in ("memory", "silly")
        if config[s]["enabled"]
        for m in config[s]["models"]
    }
    return sorted(m for m in used if config["models"][m]["hub_id"])


def is_base_run(wildcards):
    return wildcards.arm == "base"


def get_adapter(wildcards):
    if is_base_run(wildcards):
        return []
    return layout.RUN_ADAPTER.format(**wildcards)


def get_sft_set(wildcards):
    """The SFT set a run trains on, as its study's plan names it."""
    w = wildcards
    return STUDY_PLANS[w.study].sft_set(w.model, w.arm, w.seed)


def get_qa_items(wildcards):
    """The QA items of every memory test set (the only QA evaluation), in TESTSETS order."""
    return [
        memory_plan.qa_items(wildcards.model, testset)
        for testset in memory_plan.TESTSETS
    ]


def get_train_settings(wildcards):
    """The study's effective train block (demo overrides only while the demo is on)."""
    return sftlab.config.study_train(config, wildcards.study)
