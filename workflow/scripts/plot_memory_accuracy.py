"""plot_memory_accuracy: headline accuracy against training-set size n, one line per training level
(mean +- std): rows models, columns in-domain and OOD test sets.

Inputs:  summary  results/memory/summary.parquet
Outputs: figure   the figure
Params:  dpi      plots.dpi
"""

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.memory import accuracy_vs_n


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    fig = accuracy_vs_n(pl.read_parquet(snakemake.input.summary))
    fig.savefig(snakemake.output.figure, dpi=snakemake.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
