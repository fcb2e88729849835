# sftlab: data-centric fine-tuning research on LLM question answering.
# Default config = the offline demo world; paper configs: --configfile config/paper_{memory,silly}.yaml
#
# Includes in pipeline order, after common.smk (imports, input functions); no stage reads another's
# names: paths come from sftlab.layout and sftlab.<study>.plan, targets from common.smk's functions.
#
# results/ (under the config's `workdir:`; paper configs: experiments/<name>/)
#   models/     {model}.json: fetch markers of hub models (snapshots: the Hugging Face cache)
#   demo/       world/, raw/ (released dataset layouts), tokenizer/, model/, summaries
#   data/       {mmlu,entityquestions,ruozhiba}.parquet, <name>.report.json
#   memory/     {model}/ probes, levels, sets/, test sets; summaries, figures/ (memory.plan)
#   silly/      rules.yaml, items, sets/; deltas, figures/{model}/ (silly.plan)
#   runs/       {study}/{model}/{arm}_s{seed}/: adapter/, train/, eval_*.parquet, mmlu.parquet
#   .ckpt/      runs/...: checkpoints of unfinished fine-tunes (a killed job resumes from them)
#   run_stats.  json, html: LLM calls, cost, training and wall time per stage
import os

from snakemake.utils import min_version

min_version("9.0")

# envs/*.yaml install sftlab from this checkout, wherever Snakemake copies them (see envs/cpu.yaml);
# a preset value wins, for a workflow read from GitHub (snakedeploy), whose folder is no local path.
os.environ.setdefault("SFTLAB_SOURCE", workflow.current_basedir.get_path_or_uri(True))


configfile: f"{workflow.current_basedir.get_path_or_uri(True)}/config/config.yaml"


# Each config writes under its own output root (paper configs: experiments/<name>/), so one config's
# run never rebuilds another's files; `--directory` overrides it. Data files come from the repository.
workdir: config.get("workdir") or "."


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/memory.smk"
include: "workflow/rules/silly.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


# Library code is a re-run trigger: each scripted rule records a digest of the sftlab modules its
# script imports (Snakemake itself tracks only the thin script; see sftlab.triggers).
add_code_digests(workflow.rules)


# A run refuses to start when a hard requirement fails (models, API key, disk): python -m sftlab.readiness
onstart:
    if not workflow.touch:
        sftlab.readiness.require(config)


# Run on the submitting machine, never through a cluster: cheap, or needing the network (hub, LLM API).
localrules:
    all,
    fetch_models,
    fetch_model,
    figures,
    summarise_run,
    download_entityquestions,
    prepare_mmlu,
    prepare_entityquestions,
    prepare_ruozhiba,
    build_demo_world,
    train_demo_tokenizer,
    derive_rules,
    generate_rule_set,
    build_plain_set,
    build_mixed_set,
    plot_silly_heatmap,
    plot_silly_categories,
    plot_silly_correlation,
    assign_levels,
    compare_estimators,
    sample_memory_set,
    build_memory_testsets,
    summarise_memory,
    plot_level_heatmap,
    plot_level_distribution,
    plot_level_transitions,
    plot_memory_accuracy,
    plot_memory_exposure,


rule all:
    default_target: True
    input:
        get_final_outputs(),
