# sftlab: data-centric fine-tuning research on LLM question answering.
# Default config = the offline demo world; paper configs: --configfile config/paper_{memory,silly}.yaml
#
# results/
#   demo/               world/, raw/ (real dataset formats), tokenizer, model/ (HF folder), summary
#   data/               mmlu.parquet, entityquestions.parquet, ruozhiba.parquet (+ .report.json)
#   memory/{model}/     probe.parquet, levels.parquet, sets/L{level}_n{n}_s{seed}.jsonl
#   silly/              rules.yaml, sets/{rule}.jsonl
#   runs/{study}/{model}/{arm}_s{seed}/   adapter/, train/, eval_*.parquet
#   memory/summary.parquet, silly/deltas.parquet, figures/
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/memory.smk"
include: "workflow/rules/silly.smk"


rule all:
    input:
        get_final_outputs(),
    default_target: True
