# Silly study (arXiv 2411.14121): rules, rule-styled SFT sets, fine-tunes, deltas to the plain baseline.
#
# results/silly/
#   rules.yaml, rules.stats.json        the rules (a config file, or LLM-derived as r1..rN) + provenance
#   items.parquet, items.stats.json     the MMLU items every arm rewrites; contamination check counts
#   sets/generated/{arm}.jsonl          rule and neutral rewrites (+ sets/{arm}.failures.jsonl, .stats.json)
#   sets/common_items.json              items every arm rewrote; per-arm counts (min_kept_share gate)
#   sets/{arm}.jsonl                    SFT set per arm, all on the common items (+ plain/mixed .stats.json)
#   deltas.parquet, deltas.csv          per model, arm, subject | category | all, seed: delta, CI, p, q
#   consistency.csv                     shared subject effect of the rules, against independent plain halves
#   figures/{model}/                    delta_heatmap, category_bars, rule_correlation
# results/runs/silly/{model}/{arm}_s{seed}/, base_s0/   adapters and mmlu.parquet (train, evaluate)
#
# Arms are fixed at parse time: the rules file's ids, or r1..rN for LLM-derived rules, then the
# baselines (plain, neutral) and the optional mixed arm.
import sftlab.silly.plan as silly_plan
import sftlab.silly.rules
import sftlab.llm

SILLY = config["silly"]
SILLY_DIR = silly_plan.SILLY_DIR
SILLY_SETS = silly_plan.SETS
SILLY_FIG = f"{SILLY_DIR}/figures/{{model}}"
SILLY_RULE_IDS = sftlab.silly.rules.rule_ids(SILLY["rules"])
SILLY_GENERATED = SILLY_RULE_IDS + [b for b in SILLY["baselines"] if b == "neutral"]
SILLY_ARMS = sftlab.silly.rules.study_arms(SILLY)
SILLY_RUNS = silly_plan.runs(SILLY, SILLY_ARMS)
# The `llm` param of LLM jobs: every llm setting reaches the script, but only what decides an answer
# (model, output parameters) is recorded, so tuning the transport, concurrency, retries or timeouts
# never regenerates a set (sftlab.llm.job).
SILLY_LLM = sftlab.llm.job_param(config["llm"])
FIG_FORMAT = config["plots"]["format"]

SFT_SET["silly"] = lambda wildcards: f"{SILLY_SETS}/{wildcards.arm}.jsonl"
FINAL_OUTPUTS.append(lambda: silly_plan.final_outputs(SILLY, FIG_FORMAT))
if "FIGURES" in globals():
    FIGURES.append(lambda: silly_plan.figures(SILLY, FIG_FORMAT))
if "RUN_STATS" in globals():
    RUN_STATS["silly"] = lambda: silly_plan.stats_files(SILLY)


rule derive_rules:
    input:
        **(
            {"file": SILLY["rules"]["file"]}
            if SILLY["rules"]["source"] == "file"
            else {"ruozhiba": "results/data/ruozhiba.parquet"}
        ),
    output:
        rules=f"{SILLY_DIR}/rules.yaml",
        stats=f"{SILLY_DIR}/rules.stats.json",
    log:
        "logs/derive_rules.log",
    benchmark:
        "benchmarks/derive_rules.tsv"
    conda:
        "../../envs/llm.yaml"
    params:
        rules=SILLY["rules"],
        llm=SILLY_LLM if SILLY["rules"]["source"] == "llm" else None,
    script:
        "../scripts/derive_rules.py"


rule sample_silly_items:
    input:
        mmlu="results/data/mmlu.parquet",
    output:
        table=f"{SILLY_DIR}/items.parquet",
        stats=f"{SILLY_DIR}/items.stats.json",
    log:
        "logs/sample_silly_items.log",
    benchmark:
        "benchmarks/sample_silly_items.tsv"
    conda:
        "../../envs/llm.yaml"
    params:
        source=SILLY["source"],
        contamination=SILLY["contamination"],
    script:
        "../scripts/sample_silly_items.py"


rule generate_rule_set:
    input:
        unpack(lambda wildcards: silly_plan.rules_input(SILLY, wildcards.arm)),
        table=f"{SILLY_DIR}/items.parquet",
    output:
        set=f"{SILLY_SETS}/generated/{{arm}}.jsonl",
        failures=f"{SILLY_SETS}/{{arm}}.failures.jsonl",
        stats=f"{SILLY_SETS}/{{arm}}.stats.json",
    log:
        "logs/generate_rule_set/{arm}.log",
    benchmark:
        "benchmarks/generate_rule_set/{arm}.tsv"
    wildcard_constraints:
        arm="|".join(SILLY_RULE_IDS + ["neutral"]),
    conda:
        "../../envs/llm.yaml"
    params:
        rule=lambda wildcards: silly_plan.rule_param(SILLY, wildcards.arm),
        generator=SILLY["generator"],
        llm=SILLY_LLM if SILLY["generator"]["kind"] == "llm" else None,
        chat=config["evaluate"]["mc"]["chat_template"],
    script:
        "../scripts/generate_rule_set.py"


rule select_common_items:
    input:
        table=f"{SILLY_DIR}/items.parquet",
        sets=expand(f"{SILLY_SETS}/generated/{{arm}}.jsonl", arm=SILLY_GENERATED),
    output:
        common=f"{SILLY_SETS}/common_items.json",
    log:
        "logs/select_common_items.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        arms=SILLY_GENERATED,
        min_kept_share=SILLY["min_kept_share"],
    script:
        "../scripts/select_common_items.py"


# The common items reach each arm as ancient(): a re-generated rule re-runs only its own branch.
# When that changes which items survive, summarise_silly stops and names the arms to re-run.
rule keep_common_items:
    input:
        set=f"{SILLY_SETS}/generated/{{arm}}.jsonl",
        common=ancient(f"{SILLY_SETS}/common_items.json"),
    output:
        set=f"{SILLY_SETS}/{{arm}}.jsonl",
    log:
        "logs/keep_common_items/{arm}.log",
    wildcard_constraints:
        arm="|".join(SILLY_GENERATED),
    conda:
        "../../envs/cpu.yaml"
    script:
        "../scripts/keep_common_items.py"


rule build_plain_set:
    input:
        table=f"{SILLY_DIR}/items.parquet",
        common=ancient(f"{SILLY_SETS}/common_items.json"),
    output:
        set=f"{SILLY_SETS}/plain.jsonl",
        stats=f"{SILLY_SETS}/plain.stats.json",
    log:
        "logs/build_plain_set.log",
    conda:
        "../../envs/llm.yaml"
    params:
        chat=config["evaluate"]["mc"]["chat_template"],
    script:
        "../scripts/build_plain_set.py"


rule build_mixed_set:
    input:
        common=ancient(f"{SILLY_SETS}/common_items.json"),
        sets=expand(f"{SILLY_SETS}/{{arm}}.jsonl", arm=SILLY_RULE_IDS),
    output:
        set=f"{SILLY_SETS}/mixed.jsonl",
        stats=f"{SILLY_SETS}/mixed.stats.json",
    log:
        "logs/build_mixed_set.log",
    conda:
        "../../envs/llm.yaml"
    params:
        rules=SILLY_RULE_IDS,
    script:
        "../scripts/build_mixed_set.py"


rule summarise_silly:
    input:
        runs=[silly_plan.run_path(run) for run in SILLY_RUNS],
        rules=f"{SILLY_DIR}/rules.yaml",
        sets=expand(f"{SILLY_SETS}/{{arm}}.jsonl", arm=SILLY_ARMS),
        common=f"{SILLY_SETS}/common_items.json",
    output:
        deltas=f"{SILLY_DIR}/deltas.parquet",
        csv=f"{SILLY_DIR}/deltas.csv",
        consistency=f"{SILLY_DIR}/consistency.csv",
        html=report(
            f"{SILLY_DIR}/deltas.html",
            caption="../report/silly_deltas.rst",
            category="Silly study",
            labels={"figure": "tables: deltas, consistency", "model": "all"},
        ),
    log:
        "logs/summarise_silly.log",
    benchmark:
        "benchmarks/summarise_silly.tsv"
    conda:
        "../../envs/llm.yaml"
    params:
        runs=SILLY_RUNS,
        arms=SILLY_ARMS,
        rule_arms=SILLY_RULE_IDS,
        summary=SILLY["summary"],
    script:
        "../scripts/summarise_silly.py"


rule plot_silly_heatmap:
    input:
        deltas=f"{SILLY_DIR}/deltas.parquet",
        consistency=f"{SILLY_DIR}/consistency.csv",
    output:
        figure=report(
            f"{SILLY_FIG}/delta_heatmap.{FIG_FORMAT}",
            caption="../report/silly_heatmap.rst",
            category="Silly study",
            labels={"figure": "subjects x rules delta", "model": "{model}"},
        ),
    log:
        "logs/plot_silly_heatmap/{model}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        arms=SILLY_ARMS,
        dpi=config["plots"]["dpi"],
    script:
        "../scripts/plot_silly_heatmap.py"


rule plot_silly_categories:
    input:
        deltas=f"{SILLY_DIR}/deltas.parquet",
    output:
        figure=report(
            f"{SILLY_FIG}/category_bars.{FIG_FORMAT}",
            caption="../report/silly_categories.rst",
            category="Silly study",
            labels={"figure": "category deltas", "model": "{model}"},
        ),
    log:
        "logs/plot_silly_categories/{model}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        arms=SILLY_ARMS,
        dpi=config["plots"]["dpi"],
    script:
        "../scripts/plot_silly_categories.py"


rule plot_silly_correlation:
    input:
        deltas=f"{SILLY_DIR}/deltas.parquet",
        consistency=f"{SILLY_DIR}/consistency.csv",
    output:
        figure=report(
            f"{SILLY_FIG}/rule_correlation.{FIG_FORMAT}",
            caption="../report/silly_correlation.rst",
            category="Silly study",
            labels={"figure": "rule correlation", "model": "{model}"},
        ),
    log:
        "logs/plot_silly_correlation/{model}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        arms=SILLY_ARMS,
        dpi=config["plots"]["dpi"],
    script:
        "../scripts/plot_silly_correlation.py"
