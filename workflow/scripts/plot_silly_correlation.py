"""plot_silly_correlation: arm-by-arm cross-half correlation of per-subject deltas.

Inputs:  deltas       results/silly/deltas.parquet
         consistency  results/silly/consistency.csv (the consistency goes into the title)
Outputs: figure       results/silly/figures/{model}/rule_correlation.{format}
Params:  arms         the arms (order)
         dpi          plots.dpi
"""

import logging

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.silly import consistency_note, rule_correlation

log = logging.getLogger("plot_silly_correlation")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    deltas = pl.read_parquet(snakemake.input.deltas)
    model = snakemake.wildcards.model
    note = consistency_note(pl.read_csv(snakemake.input.consistency), model)
    fig = rule_correlation(deltas, model, snakemake.params.arms, title_note=note)
    fig.savefig(snakemake.output.figure, dpi=snakemake.params.dpi)
    log.info("wrote %s", snakemake.output.figure)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
