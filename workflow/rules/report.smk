# Run statistics for the HTML report: LLM calls, cache hits, cost, training time, wall time per rule.
#
# layout.RUN_STATS_JSON   sums over every statistics file of get_run_stats_inputs, in total and per
#                         stage (demo, data, memory, silly)
# layout.RUN_STATS_HTML   the same as tables: the report's "Run statistics" item


rule summarise_run:
    input:
        **get_run_stats_inputs(),
    output:
        json=layout.RUN_STATS_JSON,
        html=report(
            layout.RUN_STATS_HTML,
            caption="../report/run_stats.rst",
            category="Run statistics",
        ),
    log:
        "logs/summarise_run.log",
    conda:
        "../../envs/cpu.yaml"
    script:
        "../scripts/summarise_run.py"
