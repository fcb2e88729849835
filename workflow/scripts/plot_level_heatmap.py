"""plot_level_heatmap: accuracy by training memory level x test memory level of one model (the
"diagonal"): rows test sets, columns training-set sizes, mean over seeds.

Inputs:  summary  results/memory/summary.parquet
Outputs: figure   the figure
Params:  dpi      plots.dpi
"""

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.memory import level_heatmap


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    fig = level_heatmap(pl.read_parquet(snakemake.input.summary), snakemake.wildcards.model)
    fig.savefig(snakemake.output.figure, dpi=snakemake.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
