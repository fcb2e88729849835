# Models stage: hub models fetched once where Snakemake runs (login node, network), so GPU jobs on
# compute nodes load the cached snapshot offline. Local model folders need nothing.
# Output: layout.MODEL_MARKER (hub id, revision and snapshot folder), an input of the model's GPU jobs.


rule fetch_models:
    input:
        lambda wildcards: expand(layout.MODEL_MARKER, model=get_hub_models()),


rule fetch_model:
    output:
        marker=layout.MODEL_MARKER,
    log:
        "logs/fetch_model/{model}.log",
    conda:
        "../../envs/cpu.yaml"
    params:
        model=get_model_entry,
    script:
        "../scripts/fetch_model.py"
