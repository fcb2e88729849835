"""Figure: headline accuracy against training-set size n, one line per training level (mean +- std).

Input: summary. Output: the figure (rows: models; columns: in-domain and OOD test sets).
"""

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.memory import accuracy_vs_n


def main(smk) -> None:
    setup_logging(smk.log[0])
    fig = accuracy_vs_n(pl.read_parquet(smk.input.summary))
    fig.savefig(smk.output[0], dpi=smk.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
