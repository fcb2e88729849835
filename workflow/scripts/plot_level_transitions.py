"""Figure: how the memory levels of the same training facts move from one model to another.

Inputs: levels of models a and b. Output: the figure (counts and row shares, level under a x under
b).
"""

import polars as pl

from sftlab.logs import setup_logging
from sftlab.plots.memory import level_transitions


def main(smk) -> None:
    setup_logging(smk.log[0])
    w = smk.wildcards
    fig = level_transitions(
        pl.read_parquet(smk.input.a), pl.read_parquet(smk.input.b), w.a, w.b, len(smk.params.bins)
    )
    fig.savefig(smk.output[0], dpi=smk.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
