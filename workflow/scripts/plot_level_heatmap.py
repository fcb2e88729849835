"""Figure: accuracy by training memory level x test memory level of one model (the "diagonal").

Input: summary. Output: the figure (rows: test sets; columns: training-set sizes; mean over seeds).
"""

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.memory import level_heatmap


def main(smk) -> None:
    setup_logging(smk.log[0])
    fig = level_heatmap(pl.read_parquet(smk.input.summary), smk.wildcards.model)
    fig.savefig(smk.output[0], dpi=smk.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
