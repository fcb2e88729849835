# Memory study (arXiv 2409.15825): probe, level, sample level-pure sets, fine-tune, evaluate, summarise.
#
# results/memory/
#   {model}/probe.parquet, probe_raw.parquet, probe.json    hits per fact x template (+ raw samples)
#   {model}/probe_tf.parquet, estimator_agreement.json      teacher-forcing estimator (optional)
#   {model}/slick.parquet                                   SliCK categories (optional)
#   {model}/levels.parquet, level_counts.csv, slick_agreement.csv
#   {model}/sets/L{level}_n{n}_s{seed}.jsonl (+ .json)     level-pure SFT sets; sidecar flags short sets
#   {model}/test_{in,ood}.parquet                           QA items, group = test memory level
#   {model}/exposure.json                                   demo only: R vs exposure validity check
#   summary.parquet, summary.csv, short_sets.json, figures/
# results/runs/memory/{model}/L{level}_n{n}_s{seed}/, base_s0/   adapters and evaluations (train/evaluate)
#
# Levels are known only after probing, so a level with fewer training facts than n cannot be dropped
# from the DAG at parse time: its set holds every fact the level has (never padded from other levels),
# the sidecar and the summary flag it `short`. A level with no training facts at all gets an empty set:
# its fine-tunes and evaluations are skipped (sftlab.skip), left out of the summary and listed in
# short_sets.json, and the log names memory.train_levels, which drops them from the plan.
import sftlab.memory.backends as probe_backends
import sftlab.memory.plan as memory_plan

MEMORY = config["memory"]
MEM = "results/memory/{model}"
MEM_FIG = memory_plan.FIGURES_DIR
FIG_EXT = config["plots"]["format"]
MEMORY_RUNS = memory_plan.runs(MEMORY)
QA_MATCH = config["evaluate"]["qa"]["normalize"]
DEMO_FACTS = "results/demo/world/facts.parquet"
ON_DEMO = config["data"]["entityquestions"]["source"] == "demo"
PROBE_TABLE = {"sample": "probe.parquet", "teacher_forcing": "probe_tf.parquet"}

if (
    MEMORY["enabled"]
    and MEMORY["format"] == "chat"
    and not config["evaluate"]["qa"]["chat_template"]
):
    raise ValueError("memory.format 'chat' needs evaluate.qa.chat_template: true")


wildcard_constraints:
    level=r"\d+",
    n=r"\d+|all",


SFT_SET["memory"] = lambda w: f"results/memory/{w.model}/sets/{w.arm}_s{w.seed}.jsonl"
QA_ITEMS["memory"] = lambda w: f"results/memory/{w.model}/test_{w.testset}.parquet"
QA_GROUP_BY["memory"] = ["group"]
FINAL_OUTPUTS.append(lambda: memory_plan.final_outputs(MEMORY, FIG_EXT, ON_DEMO))
if "FIGURES" in globals():
    FIGURES.append(lambda: memory_plan.figures(MEMORY, FIG_EXT, ON_DEMO))
if "RUN_STATS" in globals():
    RUN_STATS["memory"] = lambda: memory_plan.stats_files(MEMORY)


rule probe_memory:
    input:
        facts="results/data/entityquestions.parquet",
        templates=MEMORY["templates"],
        aliases=MEMORY["aliases"],
        model=get_model_files,
    output:
        probe=f"{MEM}/probe.parquet",
        raw=f"{MEM}/probe_raw.parquet",
        meta=f"{MEM}/probe.json",
    log:
        "logs/probe_memory/{model}.log",
    benchmark:
        "benchmarks/probe_memory/{model}.tsv"
    conda:
        lambda w: f"../../envs/{probe_backends.job_env(MEMORY, w.model)}.yaml"
    threads: 2
    resources:
        gpu=lambda w: probe_backends.job_gpus(MEMORY, w.model),
    params:
        model=get_model_entry,
        settings=lambda w: sftlab.triggers.SpeedOnly(
            probe_backends.job_settings(MEMORY, w.model),
            speed=("batch_size", "shard_facts"),
        ),
        match=QA_MATCH,
        shard_dir=lambda w: f"results/memory/{w.model}/_probe_shards",
    script:
        "../scripts/probe_memory.py"


rule probe_teacher_forcing:
    input:
        facts="results/data/entityquestions.parquet",
        templates=MEMORY["templates"],
        aliases=MEMORY["aliases"],
        model=get_model_files,
    output:
        probe=f"{MEM}/probe_tf.parquet",
        meta=f"{MEM}/probe_tf.json",
    log:
        "logs/probe_teacher_forcing/{model}.log",
    benchmark:
        "benchmarks/probe_teacher_forcing/{model}.tsv"
    conda:
        "../../envs/gpu.yaml"
    threads: 2
    resources:
        gpu=1,
    params:
        model=get_model_entry,
        temperature=MEMORY["probe"]["temperature"],
        speed=sftlab.triggers.SpeedOnly(
            {"batch_size": MEMORY["probe"]["batch_size"]}, speed=("batch_size",)
        ),
        match=QA_MATCH,
    script:
        "../scripts/probe_teacher_forcing.py"


rule compare_estimators:
    input:
        probe=f"{MEM}/probe.parquet",
        probe_meta=f"{MEM}/probe.json",
        probe_tf=f"{MEM}/probe_tf.parquet",
        probe_tf_meta=f"{MEM}/probe_tf.json",
        templates=MEMORY["templates"],
    output:
        agreement=f"{MEM}/estimator_agreement.json",
    log:
        "logs/compare_estimators/{model}.log",
    conda:
        "../../envs/gpu.yaml"
    script:
        "../scripts/compare_estimators.py"


rule probe_slick:
    input:
        facts="results/data/entityquestions.parquet",
        aliases=MEMORY["aliases"],
        model=get_model_files,
    output:
        slick=f"{MEM}/slick.parquet",
        meta=f"{MEM}/slick.json",
    log:
        "logs/probe_slick/{model}.log",
    benchmark:
        "benchmarks/probe_slick/{model}.tsv"
    conda:
        "../../envs/gpu.yaml"
    threads: 2
    resources:
        gpu=1,
    params:
        model=get_model_entry,
        settings=sftlab.triggers.SpeedOnly(MEMORY["slick"], speed=("batch_size",)),
        match=QA_MATCH,
    script:
        "../scripts/probe_slick.py"


rule assign_levels:
    input:
        facts="results/data/entityquestions.parquet",
        probe=f"{MEM}/{PROBE_TABLE[MEMORY['probe']['estimator']]}",
        templates=MEMORY["templates"],
        slick=[f"{MEM}/slick.parquet"] if MEMORY["slick"]["enabled"] else [],
    output:
        **(
            {"agreement": f"{MEM}/slick_agreement.csv"}
            if MEMORY["slick"]["enabled"]
            else {}
        ),
        levels=f"{MEM}/levels.parquet",
        counts=f"{MEM}/level_counts.csv",
    log:
        "logs/assign_levels/{model}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        bins=MEMORY["levels"]["bins"],
        estimator=MEMORY["probe"]["estimator"],
        match=QA_MATCH,
    script:
        "../scripts/assign_levels.py"


rule sample_memory_set:
    input:
        levels=f"{MEM}/levels.parquet",
    output:
        set=f"{MEM}/sets/L{{level}}_n{{n}}_s{{seed}}.jsonl",
        report=f"{MEM}/sets/L{{level}}_n{{n}}_s{{seed}}.json",
    log:
        "logs/sample_memory_set/{model}/L{level}_n{n}_s{seed}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        format=MEMORY["format"],
    script:
        "../scripts/sample_memory_set.py"


rule build_memory_testsets:
    input:
        levels=f"{MEM}/levels.parquet",
        aliases=MEMORY["aliases"],
    output:
        testset=f"{MEM}/test_{{testset}}.parquet",
    log:
        "logs/build_memory_testsets/{model}/{testset}.log",
    wildcard_constraints:
        testset="in|ood",
    conda:
        "../../envs/cpu.yaml"
    params:
        format=MEMORY["format"],
        match=QA_MATCH,
    script:
        "../scripts/build_memory_testsets.py"


rule summarise_memory:
    input:
        evals=[memory_plan.eval_path(run) for run in MEMORY_RUNS],
        testsets=[memory_plan.testset_path(run) for run in MEMORY_RUNS],
        reports=memory_plan.sidecars(MEMORY),
    output:
        summary="results/memory/summary.parquet",
        csv="results/memory/summary.csv",
        short="results/memory/short_sets.json",
        html=report(
            "results/memory/summary.html",
            caption="../report/memory_summary.rst",
            category="Memory study",
            labels={"figure": "tables: accuracy"},
        ),
    log:
        "logs/summarise_memory.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        runs=MEMORY_RUNS,
        levels=[str(level) for level in range(len(MEMORY["levels"]["bins"]))],
    script:
        "../scripts/summarise_memory.py"


rule plot_memory_accuracy:
    input:
        summary="results/memory/summary.parquet",
    output:
        figure=report(
            f"{MEM_FIG}/accuracy_vs_n.{FIG_EXT}",
            caption="../report/memory_accuracy_vs_n.rst",
            category="Memory study",
            labels={"figure": "accuracy vs n"},
        ),
    log:
        "logs/plot_memory_accuracy.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        dpi=config["plots"]["dpi"],
    script:
        "../scripts/plot_memory_accuracy.py"


rule plot_level_heatmap:
    input:
        summary="results/memory/summary.parquet",
    output:
        figure=report(
            f"{MEM_FIG}/level_heatmap_{{model}}.{FIG_EXT}",
            caption="../report/memory_level_heatmap.rst",
            category="Memory study",
            labels={"figure": "train x test level", "model": "{model}"},
        ),
    log:
        "logs/plot_level_heatmap/{model}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        dpi=config["plots"]["dpi"],
    script:
        "../scripts/plot_level_heatmap.py"


rule plot_level_distribution:
    input:
        levels=[f"results/memory/{m}/levels.parquet" for m in MEMORY["models"]],
    output:
        figure=report(
            f"{MEM_FIG}/level_distribution.{FIG_EXT}",
            caption="../report/memory_level_distribution.rst",
            category="Memory study",
            labels={"figure": "level distribution"},
        ),
    log:
        "logs/plot_level_distribution.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        models=MEMORY["models"],
        bins=MEMORY["levels"]["bins"],
        dpi=config["plots"]["dpi"],
    script:
        "../scripts/plot_level_distribution.py"


rule plot_level_transitions:
    input:
        a="results/memory/{a}/levels.parquet",
        b="results/memory/{b}/levels.parquet",
    output:
        figure=report(
            f"{MEM_FIG}/transitions_{{a}}_{{b}}.{FIG_EXT}",
            caption="../report/memory_level_transitions.rst",
            category="Memory study",
            labels={"figure": "level transitions", "models": "{a} -> {b}"},
        ),
    log:
        "logs/plot_level_transitions/{a}_{b}.log",
    wildcard_constraints:
        a="[A-Za-z0-9][A-Za-z0-9.-]*",
        b="[A-Za-z0-9][A-Za-z0-9.-]*",
    conda:
        "../../envs/cpu.yaml"
    params:
        bins=MEMORY["levels"]["bins"],
        dpi=config["plots"]["dpi"],
    script:
        "../scripts/plot_level_transitions.py"


rule plot_memory_exposure:
    input:
        levels=f"{MEM}/levels.parquet",
        world=DEMO_FACTS,
    output:
        figure=report(
            f"{MEM_FIG}/exposure_{{model}}.{FIG_EXT}",
            caption="../report/memory_exposure.rst",
            category="Memory study",
            labels={"figure": "R vs exposure (demo)", "model": "{model}"},
        ),
        stats=f"{MEM}/exposure.json",
    log:
        "logs/plot_memory_exposure/{model}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        bins=MEMORY["levels"]["bins"],
        min_spearman=config["demo"]["validity"]["min_spearman"],
        dpi=config["plots"]["dpi"],
    script:
        "../scripts/plot_memory_exposure.py"
