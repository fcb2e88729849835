# Silly study (arXiv 2411.14121): rules, rule-styled SFT sets, fine-tunes, deltas to the plain baseline.
# Paths: sftlab.silly.plan (results/silly/), runs in sftlab.layout (results/runs/silly/).
#
# Arms are fixed at parse time: the rules file's ids, or r1..rN for LLM-derived rules, then the
# baselines (plain, neutral) and the optional mixed arm.
import sftlab.silly.rules
import sftlab.llm

SILLY = config["silly"]
SILLY_RULE_IDS = sftlab.silly.rules.rule_ids(SILLY["rules"])
SILLY_GENERATED = SILLY_RULE_IDS + [b for b in SILLY["baselines"] if b == "neutral"]
SILLY_ARMS = sftlab.silly.rules.study_arms(SILLY)
SILLY_RUNS = silly_plan.runs(SILLY, SILLY_ARMS)
# The `llm` param of LLM jobs: every llm setting reaches the script, but only what decides an answer
# (model, output parameters) is recorded, so tuning the transport, concurrency, retries or timeouts
# never regenerates a set (sftlab.llm.job).
SILLY_LLM = sftlab.llm.job_param(config["llm"])


rule derive_rules:
    input:
        **(
            {"file": SILLY["rules"]["file"]}
            if SILLY["rules"]["source"] == "file"
            else {"ruozhiba": layout.data_table("ruozhiba")}
        ),
    output:
        rules=silly_plan.RULES,
        stats=silly_plan.RULES_STATS,
    log:
        "logs/derive_rules.log",
    benchmark:
        layout.benchmark("derive_rules")
    conda:
        "../../envs/llm.yaml"
    params:
        rules=SILLY["rules"],
        llm=SILLY_LLM if SILLY["rules"]["source"] == "llm" else None,
    script:
        "../scripts/derive_rules.py"


rule sample_silly_items:
    input:
        mmlu=layout.data_table("mmlu"),
    output:
        table=silly_plan.ITEMS,
        stats=silly_plan.ITEMS_STATS,
    log:
        "logs/sample_silly_items.log",
    benchmark:
        layout.benchmark("sample_silly_items")
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
        table=silly_plan.ITEMS,
    output:
        set=silly_plan.GENERATED,
        failures=silly_plan.FAILURES,
        stats=silly_plan.SET_STATS,
    log:
        "logs/generate_rule_set/{arm}.log",
    benchmark:
        layout.benchmark("generate_rule_set", "{arm}")
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
        table=silly_plan.ITEMS,
        sets=expand(silly_plan.GENERATED, arm=SILLY_GENERATED),
    output:
        common=silly_plan.COMMON_ITEMS,
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
        set=silly_plan.GENERATED,
        common=ancient(silly_plan.COMMON_ITEMS),
    output:
        set=silly_plan.SET,
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
        table=silly_plan.ITEMS,
        common=ancient(silly_plan.COMMON_ITEMS),
    output:
        set=silly_plan.SET.format(arm="plain"),
        stats=silly_plan.SET_STATS.format(arm="plain"),
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
        common=ancient(silly_plan.COMMON_ITEMS),
        sets=expand(silly_plan.SET, arm=SILLY_RULE_IDS),
    output:
        set=silly_plan.SET.format(arm="mixed"),
        stats=silly_plan.SET_STATS.format(arm="mixed"),
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
        rules=silly_plan.RULES,
        sets=expand(silly_plan.SET, arm=SILLY_ARMS),
        common=silly_plan.COMMON_ITEMS,
    output:
        deltas=silly_plan.DELTAS,
        csv=silly_plan.DELTAS_CSV,
        consistency=silly_plan.CONSISTENCY,
        html=report(
            silly_plan.DELTAS_HTML,
            caption="../report/silly_deltas.rst",
            category="Silly study",
            labels={"figure": "tables: deltas, consistency", "model": "all"},
        ),
    log:
        "logs/summarise_silly.log",
    benchmark:
        layout.benchmark("summarise_silly")
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
        deltas=silly_plan.DELTAS,
        consistency=silly_plan.CONSISTENCY,
    output:
        figure=report(
            silly_plan.figure_path("{model}", silly_plan.HEATMAP_FIGURE, FIG_FORMAT),
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
        deltas=silly_plan.DELTAS,
    output:
        figure=report(
            silly_plan.figure_path("{model}", silly_plan.CATEGORY_FIGURE, FIG_FORMAT),
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
        deltas=silly_plan.DELTAS,
        consistency=silly_plan.CONSISTENCY,
    output:
        figure=report(
            silly_plan.figure_path(
                "{model}", silly_plan.CORRELATION_FIGURE, FIG_FORMAT
            ),
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
