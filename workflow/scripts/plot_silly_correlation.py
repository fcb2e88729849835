"""plot_silly_correlation: rule-by-rule correlation of per-subject deltas.

Inputs:  deltas  results/silly/deltas.parquet
Outputs: figure  results/silly/figures/{model}/rule_correlation.{format}
Params:  arms (order), dpi
"""

import logging

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.silly import rule_correlation

log = logging.getLogger("plot_silly_correlation")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    deltas = pl.read_parquet(snakemake.input.deltas)
    fig = rule_correlation(deltas, snakemake.wildcards.model, snakemake.params.arms)
    fig.savefig(snakemake.output.figure, dpi=snakemake.params.dpi)
    log.info("wrote %s", snakemake.output.figure)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
