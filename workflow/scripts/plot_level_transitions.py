"""plot_level_transitions: how the memory levels of the same training facts move from model a to
model b (counts and row shares, level under a x level under b).

Inputs:  a       results/memory/{a}/levels.parquet
         b       results/memory/{b}/levels.parquet
Outputs: figure  the figure
Params:  bins    memory.levels.bins
         dpi     plots.dpi
"""

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.memory import level_transitions


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    w = snakemake.wildcards
    fig = level_transitions(
        pl.read_parquet(snakemake.input.a),
        pl.read_parquet(snakemake.input.b),
        w.a,
        w.b,
        len(snakemake.params.bins),
    )
    fig.savefig(snakemake.output.figure, dpi=snakemake.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
