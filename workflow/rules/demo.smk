# The demo world: invented facts with known exposure, a corpus stating them, and a tiny model
# pretrained on it; the data stage reads its raw/ folder like a download. The rules always exist;
# `rule all` asks for their outputs only with demo.enabled (layout.demo_outputs). Paths: sftlab.layout.


rule build_demo_world:
    input:
        relations=config["demo"]["relations"],
        silly_questions=config["demo"]["silly_questions"],
    output:
        facts=layout.DEMO_FACTS,
        corpus=layout.DEMO_CORPUS,
        summary=layout.DEMO_WORLD_SUMMARY,
        entityquestions=directory(layout.DEMO_RAW["entityquestions"]),
        mmlu=directory(layout.DEMO_RAW["mmlu"]),
        ruozhiba=layout.DEMO_RAW["ruozhiba"],
    log:
        "logs/build_demo_world/demo.log",
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        seed=config["demo"]["seed"],
        world=config["demo"]["world"],
        filler_ratio=config["demo"]["corpus"]["filler_ratio"],
    script:
        "../scripts/build_demo_world.py"


rule train_demo_tokenizer:
    input:
        corpus=rules.build_demo_world.output.corpus,
    output:
        tokenizer=directory(layout.DEMO_TOKENIZER),
    log:
        "logs/train_demo_tokenizer/demo.log",
    conda:
        "../../envs/gpu.yaml"
    threads: 1
    params:
        vocab_size=config["demo"]["tokenizer"]["vocab_size"],
    script:
        "../scripts/train_demo_tokenizer.py"


rule pretrain_demo_model:
    input:
        corpus=rules.build_demo_world.output.corpus,
        facts=rules.build_demo_world.output.facts,
        relations=config["demo"]["relations"],
        tokenizer=rules.train_demo_tokenizer.output.tokenizer,
    output:
        model=directory(layout.DEMO_MODEL),
        summary=report(
            layout.DEMO_PRETRAIN_SUMMARY,
            caption="../report/demo_pretrain.rst",
            category="Demo world",
            labels={"item": "pretraining summary"},
        ),
    log:
        "logs/pretrain_demo_model/demo.log",
    benchmark:
        layout.DEMO_PRETRAIN_BENCHMARK
    conda:
        "../../envs/gpu.yaml"
    threads: 2
    resources:
        mem_mb=4000,
    params:
        seed=config["demo"]["seed"],
        model=config["demo"]["model"],
        pretrain=config["demo"]["pretrain"],
        validity=config["demo"]["validity"],
    script:
        "../scripts/pretrain_demo_model.py"


# The demo's headline figures (memory study on the demo model) against the bars it is built to
# clear; a target only when the memory study runs on the demo data with the demo model.
rule summarise_demo:
    input:
        summary=memory_plan.SUMMARY,
        exposure=memory_plan.EXPOSURE.format(model=layout.DEMO_MODEL_NAME),
        world=rules.build_demo_world.output.summary,
        pretrain=rules.pretrain_demo_model.output.summary,
    output:
        summary=layout.DEMO_SUMMARY,
    log:
        "logs/summarise_demo.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        model=layout.DEMO_MODEL_NAME,
    script:
        "../scripts/summarise_demo.py"
