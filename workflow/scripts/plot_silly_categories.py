"""plot_silly_categories: per-category accuracy deltas to plain with paired bootstrap CIs.

Inputs:  deltas  results/silly/deltas.parquet
Outputs: figure  results/silly/figures/{model}/category_bars.{format}
Params:  arms    the arms (bar order)
         dpi     plots.dpi
"""

import logging

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.silly import category_bars

log = logging.getLogger("plot_silly_categories")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    deltas = pl.read_parquet(snakemake.input.deltas)
    fig = category_bars(deltas, snakemake.wildcards.model, snakemake.params.arms)
    fig.savefig(snakemake.output.figure, dpi=snakemake.params.dpi)
    log.info("wrote %s", snakemake.output.figure)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
