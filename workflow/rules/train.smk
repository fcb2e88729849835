# Train stage: one fine-tune per (study, model, arm, seed) with TRL's SFTTrainer.
#
# results/runs/{study}/{model}/{arm}_s{seed}/
#   adapter/     PEFT adapter (or the full model) as safetensors + base_model.json
#   train/       loss.parquet, loss.png, metrics.json, config.yaml (resolved), provenance.json
# results/.ckpt/runs/...  checkpoints, outside the outputs so a killed job resumes from them
RUN = "results/runs/{study}/{model}/{arm}_s{seed}"
CKPT = "results/.ckpt/runs/{study}/{model}/{arm}_s{seed}"


rule train_sft:
    input:
        data=get_sft_set,
        model=get_model_files,
    output:
        adapter=directory(f"{RUN}/adapter"),
        losses=f"{RUN}/train/loss.parquet",
        plot=report(
            f"{RUN}/train/loss.png",
            caption="../report/train_loss.rst",
            category="Training",
            labels={"study": "{study}", "model": "{model}", "run": "{arm}_s{seed}"},
        ),
        metrics=f"{RUN}/train/metrics.json",
        config=f"{RUN}/train/config.yaml",
        provenance=f"{RUN}/train/provenance.json",
    log:
        "logs/train_sft/{study}/{model}/{arm}_s{seed}.log",
    benchmark:
        "benchmarks/train_sft/{study}/{model}/{arm}_s{seed}.tsv"
    conda:
        "../../envs/gpu.yaml"
    threads: 2
    resources:
        gpu=1,
    params:
        train=get_train_settings,
        model=get_model_entry,
        seed=lambda wildcards: int(wildcards.seed),
        checkpoints=lambda wildcards: CKPT.format(**wildcards),
    script:
        "../scripts/train_sft.py"
