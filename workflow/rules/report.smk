# Run statistics for the HTML report: LLM calls, cache hits, cost, training time, wall time per rule.
#
# results/run_stats.json   sums over every statistics file the stages register in RUN_STATS, in total
#                          and per stage (demo, data, memory, silly)
# results/run_stats.html   the same as tables: the report's "Run statistics" item


import sftlab.run_stats

FINAL_OUTPUTS.append(lambda: ["results/run_stats.json"])
# The data and demo stages' costly rules (their outputs are built only when a study reads them);
# prepare_ruozhiba has no benchmark.
RUN_STATS["data"] = lambda: [
    f"benchmarks/prepare_{name}.tsv"
    for name, study in DATA_USERS.items()
    if name != "ruozhiba" and config[study].get("enabled", False)
]
RUN_STATS["demo"] = lambda: sftlab.run_stats.demo_files(config, f"{DEMO}/model")


rule summarise_run:
    input:
        **{stage: files() for stage, files in RUN_STATS.items()},
    output:
        json="results/run_stats.json",
        html=report(
            "results/run_stats.html",
            caption="../report/run_stats.rst",
            category="Run statistics",
        ),
    log:
        "logs/summarise_run.log",
    localrule: True
    conda:
        "../../envs/cpu.yaml"
    script:
        "../scripts/summarise_run.py"
