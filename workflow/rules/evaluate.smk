# Evaluate stage: every run, and the base model (arm "base", no adapter) as its reference.
# Outputs in the run folder (sftlab.layout.RUN_*): short-answer QA on each memory test set (per item;
# accuracy overall and per test memory level) and MMLU (per item; per subject, category, micro and
# macro), each a per-item parquet and a summary JSON.


rule evaluate_qa:
    # One job per run evaluates every test set (memory.plan.TESTSETS): one model load, not one per set.
    input:
        qa=get_qa_items,
        adapter=get_adapter,
        model=get_model_files,
    output:
        per_item=memory_plan.eval_outputs(layout.RUN_QA),
        summary=memory_plan.eval_outputs(layout.RUN_QA_SUMMARY),
    log:
        "logs/evaluate_qa/{study}/{model}/{arm}_s{seed}.log",
    benchmark:
        layout.benchmark("evaluate_qa", layout.RUN_JOB)
    wildcard_constraints:
        study="memory",
    conda:
        "../../envs/gpu.yaml"
    threads: MODEL_THREADS
    resources:
        gpu=1,
    params:
        model=get_model_entry,
        testsets=memory_plan.TESTSETS,
        settings=sftlab.triggers.SpeedOnly(
            {
                "batch_size": config["evaluate"]["batch_size"],
                **config["evaluate"]["qa"],
            },
            speed=("batch_size",),
        ),
        group_by=memory_plan.QA_GROUP_BY,
    script:
        "../scripts/evaluate_qa.py"


rule evaluate_mc:
    input:
        mmlu=layout.data_table("mmlu"),
        adapter=get_adapter,
        model=get_model_files,
    output:
        per_item=layout.RUN_MC,
        summary=layout.RUN_MC_SUMMARY,
    log:
        "logs/evaluate_mc/{study}/{model}/{arm}_s{seed}.log",
    benchmark:
        layout.benchmark("evaluate_mc", layout.RUN_JOB)
    conda:
        "../../envs/gpu.yaml"
    threads: MODEL_THREADS
    resources:
        gpu=1,
    params:
        model=get_model_entry,
        settings=sftlab.triggers.SpeedOnly(
            {
                "batch_size": config["evaluate"]["batch_size"],
                **config["evaluate"]["mc"],
            },
            speed=("batch_size",),
        ),
    script:
        "../scripts/evaluate_mc.py"
