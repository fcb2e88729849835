# Data stage: each source (demo world, hub, local copy) normalised to one parquet contract + a report.
# Outputs (layout.DATA_TABLE, DATA_REPORT), built when a study reads them (layout.DATA_USERS):
#   mmlu.parquet              item_id, subject, category, question, choices, answer, split
#   entityquestions.parquet   fact_id, relation, subject, question, answers, split, domain
#   ruozhiba.parquet          item_id, question, answer, source
#   <name>.report.json        counts per split / relation / category, dropped and unmatched rows
import sftlab.data


rule prepare_mmlu:
    input:
        unpack(
            lambda w: sftlab.data.raw_inputs(
                "mmlu", config["data"]["mmlu"], layout.DEMO_RAW["mmlu"]
            )
        ),
    output:
        table=layout.data_table("mmlu"),
        report=layout.data_report("mmlu"),
    log:
        "logs/prepare_mmlu.log",
    benchmark:
        layout.benchmark("prepare_mmlu")
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
                layout.DEMO_RAW["entityquestions"],
            )
        ),
        relations=config["data"]["entityquestions"]["relations"],
    output:
        table=layout.data_table("entityquestions"),
        report=layout.data_report("entityquestions"),
    log:
        "logs/prepare_entityquestions.log",
    benchmark:
        layout.benchmark("prepare_entityquestions")
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
                "ruozhiba", config["data"]["ruozhiba"], layout.DEMO_RAW["ruozhiba"]
            )
        ),
    output:
        table=layout.data_table("ruozhiba"),
        report=layout.data_report("ruozhiba"),
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
