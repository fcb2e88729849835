# Models stage: hub models fetched once where Snakemake runs (login node, network), so GPU jobs on
# compute nodes load the cached snapshot offline. Local model folders need nothing.
#
# results/models/{model}.json   hub id, revision and snapshot folder; an input of the model's GPU jobs

FETCHED = "results/models/{model}.json"


rule fetch_models:
    input:
        lambda wildcards: expand(FETCHED, model=get_hub_models()),


rule fetch_model:
    output:
        marker=FETCHED,
    log:
        "logs/fetch_model/{model}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        model=get_model_entry,
    script:
        "../scripts/fetch_model.py"
