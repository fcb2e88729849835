# The demo world: invented facts with known exposure, a corpus stating them, and a tiny model
# pretrained on it. Only with demo.enabled; the data stage reads results/demo/raw/ like a download.
#
# results/demo/
#   world/facts.parquet, world/corpus.txt, world/summary.json
#   raw/entityquestions/, raw/mmlu/, raw/ruozhiba.jsonl     (released dataset layouts)
#   tokenizer/                                              (byte-level BPE, transformers folder)
#   model/, pretrain_summary.json                           (HF model folder; recall vs exposure)
#   summary.json                                            (headline memory-study figures vs bars)
DEMO = "results/demo"


if config["demo"]["enabled"]:

    rule build_demo_world:
        input:
            relations=config["demo"]["relations"],
            silly_questions=config["demo"]["silly_questions"],
        output:
            facts=f"{DEMO}/world/facts.parquet",
            corpus=f"{DEMO}/world/corpus.txt",
            summary=f"{DEMO}/world/summary.json",
            entityquestions=directory(f"{DEMO}/raw/entityquestions"),
            mmlu=directory(f"{DEMO}/raw/mmlu"),
            ruozhiba=f"{DEMO}/raw/ruozhiba.jsonl",
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
            tokenizer=directory(f"{DEMO}/tokenizer"),
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
            model=directory(f"{DEMO}/model"),
            summary=report(
                f"{DEMO}/pretrain_summary.json",
                caption="../report/demo_pretrain.rst",
                category="Demo world",
                labels={"item": "pretraining summary"},
            ),
        log:
            "logs/pretrain_demo_model/demo.log",
        benchmark:
            "benchmarks/pretrain_demo_model/demo.tsv"
        conda:
            "../../envs/gpu.yaml"
        threads: 2
        resources:
            mem_mb=4000,
        params:
            seed=config["demo"]["seed"],
            model=config["demo"]["model"],
            pretrain=config["demo"]["pretrain"],
            # the pretraining probe's settings; min_spearman is the memory study's bar
            validity={
                k: v
                for k, v in config["demo"]["validity"].items()
                if k != "min_spearman"
            },
        script:
            "../scripts/pretrain_demo_model.py"

    FINAL_OUTPUTS.append(
        lambda: [
            rules.pretrain_demo_model.output.model,
            rules.pretrain_demo_model.output.summary,
        ]
    )
    # The demo's headline figures (memory study on the demo model) against the bars it is built to
    # clear; only when the memory study runs on the demo data with the demo model.
    if (
        config["memory"]["enabled"]
        and "demo" in config["memory"]["models"]
        and config["data"]["entityquestions"]["source"] == "demo"
    ):

        rule summarise_demo:
            input:
                summary="results/memory/summary.parquet",
                exposure="results/memory/demo/exposure.json",
                world=rules.build_demo_world.output.summary,
                pretrain=rules.pretrain_demo_model.output.summary,
            output:
                summary=f"{DEMO}/summary.json",
            log:
                "logs/summarise_demo.log",
            conda:
                "../../envs/cpu.yaml"
            params:
                model="demo",
            script:
                "../scripts/summarise_demo.py"

        FINAL_OUTPUTS.append(lambda: [rules.summarise_demo.output.summary])
