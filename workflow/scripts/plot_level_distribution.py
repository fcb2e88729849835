"""Figure: share of facts per memory level for every model (models x levels), per subset.

Inputs: levels of each model (aligned with params.models). Output: the figure.
"""

import polars as pl

from sftlab.logs import setup_logging
from sftlab.memory.levels import level_counts
from sftlab.plots.memory import level_distribution


def main(smk) -> None:
    setup_logging(smk.log[0])
    counts = pl.concat(
        level_counts(pl.read_parquet(path), smk.params.bins).with_columns(model=pl.lit(model))
        for model, path in zip(smk.params.models, smk.input.levels, strict=True)
    )
    fig = level_distribution(counts)
    fig.savefig(smk.output[0], dpi=smk.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
