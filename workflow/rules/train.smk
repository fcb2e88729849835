# Train stage: one fine-tune per (study, model, arm, seed) with TRL's SFTTrainer, on the SFT set the
# study's plan names for the arm (get_sft_set): the memory study's level-pure set L{level}_n{n}_s{seed},
# the silly study's rule-styled (or plain, neutral, mixed) set of the arm.
#
# Outputs in the run folder (sftlab.layout.RUN_*): adapter/, the PEFT adapter (or the full model) as
# safetensors + base_model.json, and train/ (losses, metrics, resolved config, provenance).
# Checkpoints go to layout.RUN_CHECKPOINTS, outside the outputs, so a killed job resumes from them.
# accelerate + FSDP, for models with gpus > 1 (read from the repository under any working folder)
LAUNCH_CONFIG = sftlab.paths.repo_path("config/launch/fsdp.yaml", REPO)
# Host memory and CPUs per GPU of a fine-tune (SLURM requests; a workstation ignores them): each
# rank reads the fp32 weights into host memory (13B x 4 bytes = 52 GB) before FSDP shards them.
MEM_MB_PER_GPU = 64000
CPUS_PER_GPU = 8


rule train_sft:
    input:
        data=get_sft_set,
        model=get_model_files,
        launch=lambda wildcards: LAUNCH_CONFIG if get_train_gpus(wildcards) > 1 else [],
    output:
        # train.keep_weights, else Snakemake deletes the weights once their evaluations exist
        adapter=(
            directory(layout.RUN_ADAPTER)
            if config["train"]["keep_weights"]
            else temp(directory(layout.RUN_ADAPTER))
        ),
        losses=layout.RUN_LOSSES,
        plot=report(
            layout.RUN_LOSS_PLOT,
            caption="../report/train_loss.rst",
            category="Training",
            labels={"study": "{study}", "model": "{model}", "run": "{arm}_s{seed}"},
        ),
        metrics=layout.RUN_METRICS,
        config=layout.RUN_TRAIN_CONFIG,
        provenance=layout.RUN_PROVENANCE,
    log:
        "logs/train_sft/{study}/{model}/{arm}_s{seed}.log",
    benchmark:
        layout.benchmark("train_sft", layout.RUN_JOB)
    conda:
        "../../envs/gpu.yaml"
    threads: MODEL_THREADS
    resources:
        gpu=get_train_gpus,
        mem_mb=lambda wildcards: MEM_MB_PER_GPU * get_train_gpus(wildcards),
        cpus_per_task=lambda wildcards: CPUS_PER_GPU * get_train_gpus(wildcards),
    params:
        train=get_train_settings,
        model=get_model_entry,
        seed=lambda wildcards: int(wildcards.seed),
        checkpoints=lambda wildcards: layout.RUN_CHECKPOINTS.format(**wildcards),
    script:
        "../scripts/train_sft.py"
