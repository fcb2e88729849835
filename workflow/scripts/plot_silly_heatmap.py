"""plot_silly_heatmap: subjects x arms heat map of accuracy deltas to the plain baseline.

Inputs:  deltas       results/silly/deltas.parquet
         consistency  results/silly/consistency.csv (the subject share goes into the title)
Outputs: figure       results/silly/figures/{model}/delta_heatmap.{format}
Params:  arms (column order), dpi
"""

import logging
import math

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.silly import delta_heatmap

log = logging.getLogger("plot_silly_heatmap")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    model = snakemake.wildcards.model
    shares = pl.read_csv(snakemake.input.consistency).filter(pl.col("model") == model)
    note = ""
    row = shares.row(0, named=True) if shares.height else {}
    if row.get("share_subject") is not None and math.isfinite(row["share_subject"]):
        note = f"variance of rule deltas: subject {row['share_subject']:.0%}, "
        note += f"rule {row['share_rule']:.0%}"
    fig = delta_heatmap(
        pl.read_parquet(snakemake.input.deltas), model, snakemake.params.arms, title_note=note
    )
    fig.savefig(snakemake.output.figure, dpi=snakemake.params.dpi)
    log.info("wrote %s", snakemake.output.figure)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
