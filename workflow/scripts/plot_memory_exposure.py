"""plot_memory_exposure: the demo world's validity check, memory score R against each fact's known
pretraining exposure (verdict: sftlab.demo.exposure).

Inputs:  levels        results/memory/{model}/levels.parquet
         world         results/demo/world/facts.parquet (with exposure)
Outputs: figure        the R-vs-exposure scatter
         stats         results/memory/{model}/exposure.json (Spearman, facts per level, bar, passes)
Params:  bins          memory.levels.bins (one level per bin)
         min_spearman  demo.exposure_bar (the bar Spearman must reach)
         dpi           plots.dpi
"""

import logging

import polars as pl

from sftlab.demo.exposure import exposure_verdict, with_exposure
from sftlab.io import write_json
from sftlab.logs import setup_logging
from sftlab.plots.memory import exposure_scatter

log = logging.getLogger("plot_memory_exposure")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    model = snakemake.wildcards.model
    levels = pl.read_parquet(snakemake.input.levels)
    frame = with_exposure(levels, pl.read_parquet(snakemake.input.world))
    verdict = exposure_verdict(
        levels, frame, len(snakemake.params.bins), snakemake.params.min_spearman
    )
    result = {"model": model, **verdict}
    (log.info if result["passes"] else log.warning)("validity: %s", result)
    write_json(snakemake.output.stats, result)
    exposure_scatter(frame, model).savefig(snakemake.output.figure, dpi=snakemake.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
