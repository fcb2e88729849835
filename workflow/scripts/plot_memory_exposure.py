"""Validity check on the demo world: memory score R against each fact's known pretraining exposure.

Inputs: levels, the demo world's facts (with exposure). Outputs: the scatter figure and a JSON with
the Spearman correlation, the facts per level and whether the validity bar (rho >= bar, no empty
level) holds.
"""

import logging

import polars as pl
from scipy.stats import spearmanr

from sftlab.io import write_json
from sftlab.logs import setup_logging
from sftlab.plots.memory import exposure_scatter

log = logging.getLogger("plot_memory_exposure")


def main(smk) -> None:
    setup_logging(smk.log[0])
    levels = pl.read_parquet(smk.input.levels)
    world = pl.read_parquet(smk.input.world).select("relation", "subject", "exposure")
    frame = levels.join(world, on=["relation", "subject"], how="inner")
    rho = float(spearmanr(frame["exposure"].to_numpy(), frame["R"].to_numpy()).statistic)
    per_level = {str(k): 0 for k in range(len(smk.params.bins))}
    per_level.update({str(k): v for k, v in frame.group_by("level").len().iter_rows()})
    result = {
        "model": smk.wildcards.model,
        "facts": frame.height,
        "unmatched": levels.height - frame.height,
        "spearman": rho,
        "facts_per_level": per_level,
        "bar": smk.params.bar,
        "passes": rho >= smk.params.bar and min(per_level.values()) > 0,
    }
    (log.info if result["passes"] else log.warning)("validity: %s", result)
    write_json(smk.output.stats, result)
    exposure_scatter(frame, smk.wildcards.model).savefig(smk.output.figure, dpi=smk.params.dpi)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
