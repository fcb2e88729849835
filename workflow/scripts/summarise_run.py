"""summarise_run: run statistics (LLM calls, cache hits, cost, training time, wall time per rule).

Inputs:  demo    the benchmark TSV of the demo pretraining (when a study uses the demo model)
         data    benchmark TSVs of the data preparation
         memory  training metrics, evaluation summaries and benchmark TSVs of the memory study
         silly   LLM stats JSONs, training metrics, evaluation summaries and benchmark TSVs of the
                 silly study
Outputs: json    results/run_stats.json
         html    results/run_stats.html (the report's "Run statistics" table)
Params:  -
"""

import logging

from sftlab.io import write_json, write_text
from sftlab.logs import setup_logging
from sftlab.run_stats import summarise, to_html

log = logging.getLogger("summarise_run")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    stats = summarise({stage: snakemake.input[stage] for stage in snakemake.input.keys()})
    for row in stats["stages"]:
        log.info("%s", row)
    log.info(
        "%d fine-tunes, %d evaluations, %d LLM requests (%d cache hits, $%.4f), %.0f s benchmarked",
        stats["training"]["runs"],
        stats["evaluations"]["runs"],
        stats["llm"]["requests_sent"],
        stats["llm"]["cache_hits"],
        stats["llm"]["cost_usd"],
        stats["benchmarked_wall_s"],
    )
    write_json(snakemake.output.json, stats)
    write_text(snakemake.output.html, to_html(stats))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
