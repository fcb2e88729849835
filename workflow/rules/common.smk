# Config validation, wildcard constraints and the input functions shared by several stages.
from pathlib import Path

import sftlab.config

sftlab.config.validate_config(
    config,
    Path(
        workflow.current_basedir.get_path_or_uri(True), "../schemas/config.schema.yaml"
    ),
)


wildcard_constraints:
    model="[A-Za-z0-9][A-Za-z0-9.-]*",
    study="memory|silly",
    arm="[A-Za-z0-9][A-Za-z0-9._-]*",
    seed=r"\d+",


# Each study registers, per study name, functions of the wildcards returning:
SFT_SET = {}  # the SFT set (JSONL) a run trains on
TRAIN_OVERRIDES = {}  # the study's overrides of config["train"]
QA_ITEMS = {}  # the QA test items (parquet) of {testset}
FINAL_OUTPUTS = []  # stages append the targets of `rule all` (lists of paths)
FIGURES = []  # stages append their figure paths (the `figures` target)
RUN_STATS = (
    []
)  # stages append LLM stats JSONs, train metrics and benchmark TSVs (run statistics)


def get_final_outputs():
    return [path for stage in FINAL_OUTPUTS for path in stage()]


def get_model_entry(wildcards):
    return {"name": wildcards.model, **config["models"][wildcards.model]}


def get_model_files(wildcards):
    """A local model folder is an input (built by a rule, for the demo); a hub model is not."""
    path = config["models"][wildcards.model]["path"]
    return [path] if path else []


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
    """config["train"] with the study's overrides merged one level deep."""
    override = TRAIN_OVERRIDES.get(wildcards.study, lambda w: {})(wildcards)
    return sftlab.config.merge_train(config["train"], override)
