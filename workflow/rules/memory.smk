# Memory study (arXiv 2409.15825): probe, level, sample level-pure sets, fine-tune, evaluate, summarise.
# Paths: sftlab.memory.plan (results/memory/), runs in sftlab.layout (results/runs/memory/).
#
# Levels are known only after probing, so a level with fewer training facts than n cannot be dropped
# from the DAG at parse time: its set holds every fact the level has (never padded from other levels),
# the sidecar and the summary flag it `short`. A level with no training facts at all gets an empty set:
# its fine-tunes and evaluations are skipped (sftlab.skip), left out of the summary and listed in
# short_sets.json, and the log names memory.train_levels, which drops them from the plan.
import sftlab.memory.backends as probe_backends

MEMORY = config["memory"]
MEMORY_RUNS = memory_plan.runs(MEMORY)
QA_MATCH = config["evaluate"]["qa"]["normalize"]
FACTS = layout.data_table("entityquestions")

if (
    MEMORY["enabled"]
    and MEMORY["format"] == "chat"
    and not config["evaluate"]["qa"]["chat_template"]
):
    raise ValueError("memory.format 'chat' needs evaluate.qa.chat_template: true")


wildcard_constraints:
    level=r"\d+",
    n=r"\d+|all",


rule probe_memory:
    input:
        facts=FACTS,
        templates=MEMORY["templates"],
        aliases=MEMORY["aliases"],
        model=get_model_files,
    output:
        probe=memory_plan.PROBE,
        raw=memory_plan.PROBE_RAW,
        meta=memory_plan.PROBE_META,
    log:
        "logs/probe_memory/{model}.log",
    benchmark:
        layout.benchmark("probe_memory", "{model}")
    conda:
        lambda w: f"../../envs/{probe_backends.job_env(MEMORY, w.model)}.yaml"
    threads: MODEL_THREADS
    resources:
        gpu=lambda w: probe_backends.job_gpus(MEMORY, w.model),
    params:
        model=get_model_entry,
        settings=lambda w: sftlab.triggers.SpeedOnly(
            sftlab.config.probe_settings(MEMORY, w.model),
            speed=("batch_size", "shard_facts"),
        ),
        match=QA_MATCH,
        shard_dir=lambda w: memory_plan.PROBE_SHARDS.format(model=w.model),
    script:
        "../scripts/probe_memory.py"


rule probe_teacher_forcing:
    input:
        facts=FACTS,
        templates=MEMORY["templates"],
        aliases=MEMORY["aliases"],
        model=get_model_files,
    output:
        probe=memory_plan.PROBE_TF,
        meta=memory_plan.PROBE_TF_META,
    log:
        "logs/probe_teacher_forcing/{model}.log",
    benchmark:
        layout.benchmark("probe_teacher_forcing", "{model}")
    conda:
        "../../envs/gpu.yaml"
    threads: MODEL_THREADS
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
        probe=memory_plan.PROBE,
        probe_meta=memory_plan.PROBE_META,
        probe_tf=memory_plan.PROBE_TF,
        probe_tf_meta=memory_plan.PROBE_TF_META,
        templates=MEMORY["templates"],
    output:
        agreement=memory_plan.ESTIMATOR_AGREEMENT,
    log:
        "logs/compare_estimators/{model}.log",
    conda:
        "../../envs/gpu.yaml"
    script:
        "../scripts/compare_estimators.py"


rule probe_slick:
    input:
        facts=FACTS,
        aliases=MEMORY["aliases"],
        model=get_model_files,
    output:
        slick=memory_plan.SLICK,
        meta=memory_plan.SLICK_META,
    log:
        "logs/probe_slick/{model}.log",
    benchmark:
        layout.benchmark("probe_slick", "{model}")
    conda:
        "../../envs/gpu.yaml"
    threads: MODEL_THREADS
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
        facts=FACTS,
        probe=memory_plan.PROBE_TABLE[MEMORY["probe"]["estimator"]],
        templates=MEMORY["templates"],
        slick=[memory_plan.SLICK] if MEMORY["slick"]["enabled"] else [],
    output:
        **(
            {"agreement": memory_plan.SLICK_AGREEMENT}
            if MEMORY["slick"]["enabled"]
            else {}
        ),
        levels=memory_plan.LEVEL_TABLE,
        counts=memory_plan.LEVEL_COUNTS,
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
        levels=memory_plan.LEVEL_TABLE,
    output:
        set=memory_plan.SET,
        report=memory_plan.SET_REPORT,
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
        levels=memory_plan.LEVEL_TABLE,
        aliases=MEMORY["aliases"],
    output:
        testset=memory_plan.TESTSET,
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
        summary=memory_plan.SUMMARY,
        csv=memory_plan.SUMMARY_CSV,
        short=memory_plan.SHORT_SETS,
        html=report(
            memory_plan.SUMMARY_HTML,
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
        summary=memory_plan.SUMMARY,
    output:
        figure=report(
            memory_plan.figure(memory_plan.ACCURACY_FIGURE, FIG_FORMAT),
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
        summary=memory_plan.SUMMARY,
    output:
        figure=report(
            memory_plan.figure(memory_plan.HEATMAP_FIGURE, FIG_FORMAT),
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
        levels=expand(memory_plan.LEVEL_TABLE, model=MEMORY["models"]),
    output:
        figure=report(
            memory_plan.figure(memory_plan.DISTRIBUTION_FIGURE, FIG_FORMAT),
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
        a=memory_plan.LEVEL_TABLE.replace("{model}", "{a}"),
        b=memory_plan.LEVEL_TABLE.replace("{model}", "{b}"),
    output:
        figure=report(
            memory_plan.figure(memory_plan.TRANSITIONS_FIGURE, FIG_FORMAT),
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
        levels=memory_plan.LEVEL_TABLE,
        world=layout.DEMO_FACTS,
    output:
        figure=report(
            memory_plan.figure(memory_plan.EXPOSURE_FIGURE, FIG_FORMAT),
            caption="../report/memory_exposure.rst",
            category="Memory study",
            labels={"figure": "R vs exposure (demo)", "model": "{model}"},
        ),
        stats=memory_plan.EXPOSURE,
    log:
        "logs/plot_memory_exposure/{model}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        bins=MEMORY["levels"]["bins"],
        min_spearman=config["demo"]["exposure_bar"],
        dpi=config["plots"]["dpi"],
    script:
        "../scripts/plot_memory_exposure.py"
