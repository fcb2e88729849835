# Config validation, wildcard constraints and the input functions shared by several stages.
from pathlib import Path

import sftlab.config
import sftlab.paths
import sftlab.readiness
import sftlab.resources
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


# Each study registers, per study name, functions of the wildcards returning:
SFT_SET = {}  # the SFT set (JSONL) a run trains on
QA_ITEMS = {}  # the QA test items (parquet) of {testset}
FINAL_OUTPUTS = []  # stages append the targets of `rule all` (lists of paths)
FIGURES = []  # stages append their figure paths (the `figures` target)
# Per stage name, a function returning its statistics files (LLM stats, train metrics, evaluation
# summaries, benchmark TSVs) for the run statistics.
RUN_STATS = {}


def add_code_digests(rules):
    """A `code` param on every scripted rule: the digest of the sftlab modules it imports."""
    for each in rules:
        if each.script:
            path = REPO / "workflow/scripts" / Path(each.script).name
            each.set_params(code=sftlab.triggers.code_digest(path))


def get_final_outputs():
    return [path for stage in FINAL_OUTPUTS for path in stage()]


def get_model_entry(wildcards):
    return {"name": wildcards.model, **config["models"][wildcards.model]}


def get_train_gpus(wildcards):
    """GPUs of one fine-tune of the model (models.<name>.gpus; FSDP over them when > 1)."""
    return config["models"][wildcards.model]["gpus"]


def get_model_files(wildcards):
    """A local model folder (built by a rule, for the demo), or a hub model's fetch marker."""
    path = config["models"][wildcards.model]["path"]
    return [path] if path else [f"results/models/{wildcards.model}.json"]


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
    return f"results/runs/{wildcards.study}/{wildcards.model}/{wildcards.arm}_s{wildcards.seed}/adapter"


def get_sft_set(wildcards):
    return SFT_SET[wildcards.study](wildcards)


def get_qa_items(wildcards):
    return QA_ITEMS[wildcards.study](wildcards)


def get_train_settings(wildcards):
    """The study's effective train block (demo overrides only while the demo is on)."""
    return sftlab.config.study_train(config, wildcards.study)
