"""plot_silly_heatmap: subjects x arms heat map of accuracy deltas to the plain baseline.

Inputs:  deltas       results/silly/deltas.parquet
         consistency  results/silly/consistency.csv (the consistency goes into the title)
Outputs: figure       results/silly/figures/{model}/delta_heatmap.{format}
Params:  arms         the arms (column order)
         dpi          plots.dpi
"""

import logging

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.silly import consistency_note, delta_heatmap

log = logging.getLogger("plot_silly_heatmap")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    model = snakemake.wildcards.model
    note = consistency_note(pl.read_csv(snakemake.input.consistency), model)
    fig = delta_heatmap(
        pl.read_parquet(snakemake.input.deltas), model, snakemake.params.arms, title_note=note
    )
    fig.savefig(snakemake.output.figure, dpi=snakemake.params.dpi)
    log.info("wrote %s", snakemake.output.figure)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
