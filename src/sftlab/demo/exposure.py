"""Does the memory score R track what the demo model was told? The demo world's validity verdict.

The demo world knows how often its corpus states each fact (exposure). A memory estimator worth
its name ranks the facts by it: the check passes when Spearman(exposure, R) reaches `min_spearman`
(config demo.exposure_bar) and every memory level holds facts. Torch-free, unlike
sftlab.demo.validity (the pretraining probe): the plotting rule that reports it runs in the CPU
environment.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from scipy.stats import spearmanr


def with_exposure(levels: pl.DataFrame, world: pl.DataFrame) -> pl.DataFrame:
    """The probed facts (memory levels table) joined with their exposure in the world's facts."""
    exposure = world.select("relation", "subject", "exposure")
    return levels.join(exposure, on=["relation", "subject"], how="inner")


def exposure_verdict(
    levels: pl.DataFrame, frame: pl.DataFrame, n_levels: int, min_spearman: float
) -> dict[str, Any]:
    """Spearman(exposure, R) over `frame` (`with_exposure(levels, ...)`), facts per level (every
    level of `n_levels` listed, empty ones as 0) and whether the check passes."""
    rho = float(spearmanr(frame["exposure"].to_numpy(), frame["R"].to_numpy()).statistic)
    per_level = {str(k): 0 for k in range(n_levels)}
    per_level.update({str(k): v for k, v in frame.group_by("level").len().iter_rows()})
    return {
        "facts": frame.height,
        "unmatched": levels.height - frame.height,
        "spearman": rho,
        "facts_per_level": per_level,
        "bar": min_spearman,
        "passes": rho >= min_spearman and min(per_level.values()) > 0,
    }
