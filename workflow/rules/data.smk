# Data stage: each source (demo world, hub, local copy) normalised to one parquet contract + a report.
#
# results/data/
#   mmlu.parquet              item_id, subject, category, question, choices, answer, split
#   entityquestions.parquet   fact_id, relation, subject, question, answers, split, domain
#   ruozhiba.parquet          item_id, question, answer, source
#   <name>.report.json        counts per split / relation / category, dropped and unmatched rows
import sftlab.data

DATA = "results/data"
DEMO_RAW = {
    "mmlu": "results/demo/raw/mmlu",
    "entityquestions": "results/demo/raw/entityquestions",
    "ruozhiba": "results/demo/raw/ruozhiba.jsonl",
}


# The memory study reads EntityQuestions; the silly study reads MMLU and Ruozhiba.
DATA_USERS = sftlab.config.DATA_USERS
FINAL_OUTPUTS.append(
    lambda: [
        f"{DATA}/{name}.{ext}"
        for name, study in DATA_USERS.items()
        if config[study].get("enabled", False)
        for ext in ("parquet", "report.json")
    ]
)


rule prepare_mmlu:
    input:
        unpack(
            lambda w: sftlab.data.raw_inputs(
                "mmlu", config["data"]["mmlu"], DEMO_RAW["mmlu"]
            )
        ),
    output:
        table=f"{DATA}/mmlu.parquet",
        report=f"{DATA}/mmlu.report.json",
    log:
        "logs/prepare_mmlu.log",
    benchmark:
        "benchmarks/prepare_mmlu.tsv"
    conda:
        "../../envs/cpu.yaml"
    params:
        settings=config["data"]["mmlu"],
        on_bad_rows=config["data"]["on_bad_rows"],
    script:
        "../scripts/prepare_mmlu.py"


rule prepare_entityquestions:
    input:
        unpack(
            lambda w: sftlab.data.raw_inputs(
                "entityquestions",
                config["data"]["entityquestions"],
                DEMO_RAW["entityquestions"],
            )
        ),
        relations=config["data"]["entityquestions"]["relations"],
    output:
        table=f"{DATA}/entityquestions.parquet",
        report=f"{DATA}/entityquestions.report.json",
    log:
        "logs/prepare_entityquestions.log",
    benchmark:
        "benchmarks/prepare_entityquestions.tsv"
    conda:
        "../../envs/cpu.yaml"
    params:
        settings=config["data"]["entityquestions"],
        on_bad_rows=config["data"]["on_bad_rows"],
    script:
        "../scripts/prepare_entityquestions.py"


rule prepare_ruozhiba:
    input:
        unpack(
            lambda w: sftlab.data.raw_inputs(
                "ruozhiba", config["data"]["ruozhiba"], DEMO_RAW["ruozhiba"]
            )
        ),
    output:
        table=f"{DATA}/ruozhiba.parquet",
        report=f"{DATA}/ruozhiba.report.json",
    log:
        "logs/prepare_ruozhiba.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        settings=config["data"]["ruozhiba"],
        on_bad_rows=config["data"]["on_bad_rows"],
    script:
        "../scripts/prepare_ruozhiba.py"


rule download_entityquestions:
    output:
        zip=sftlab.data.DOWNLOADS["entityquestions"],
    log:
        "logs/download_entityquestions.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        url=config["data"]["entityquestions"]["url"],
        sha256=config["data"]["entityquestions"]["sha256"],
    script:
        "../scripts/download_entityquestions.py"
