# Run statistics for the HTML report: LLM calls, cache hits, cost, training time, wall time per rule.
#
# results/run_stats.json   sums over every statistics file the stages register in RUN_STATS
# results/run_stats.html   the same as tables: the report's "Run statistics" item


FINAL_OUTPUTS.append(lambda: ["results/run_stats.json"])


rule summarise_run:
    input:
        stats=[path for stage in RUN_STATS for path in stage()],
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
