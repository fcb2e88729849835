"""plot_level_distribution: share of facts per memory level for every model (models x levels), per
subset.

Inputs:  levels  results/memory/{model}/levels.parquet of each model, aligned with params.models
Outputs: figure  the figure
Params:  models  memory.models
         bins    memory.levels.bins
         dpi     plots.dpi
"""

import polars as pl

from sftlab.logs import setup_logging
from sftlab.memory.levels import level_counts
from sftlab.plots.memory import level_distribution


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    counts = pl.concat(
        level_counts(pl.read_parquet(path), snakemake.params.bins).with_columns(model=pl.lit(model))
        for model, path in zip(snakemake.params.models, snakemake.input.levels, strict=True)
    )
    fig = level_distribution(counts)
    fig.savefig(snakemake.output.figure, dpi=snakemake.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
