"""Calibration of the silly study's statistics on simulated evaluations with a known truth.

    python -m sftlab.silly.calibration --sims 200 --seed 0

Simulates per-item MMLU results of `plain` and of rule arms, runs them through the workflow's own
summary code (`summarise`, `consistency`), and prints, as its last line, one JSON object:

- `fpr`: per seed-noise sd (0, 0.15, 0.3), the share of subject x rule cells with p < alpha when no
  rule has any effect;
- `consistency_null`: the mean consistency statistic over those null simulations;
- `consistency_power`: the share of simulations with a planted consistent effect (every rule moves
  subject j by the same g_j, g_j ~ N(0, PLANTED_SD) on the logit scale, seed-noise sd 0.15) whose
  consistency permutation p is below alpha.

World of one simulation: SUBJECTS subjects of ITEMS items, item logits N(ITEM_MEAN, ITEM_SD)
shared by every run (the same test items); RULES rule arms plus plain, SEEDS seeds each; each run
(arm, seed) draws a logit shift per subject with the given sd (a seed moves a whole subject).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from sftlab.silly.summary import BASELINE, consistency, summarise

SEED_SDS = (0.0, 0.15, 0.3)
SUBJECTS = 10  # 10 subjects x 100 items: a mid-size MMLU slice (global_facts has 100 items)
ITEMS = 100
SEEDS = 3
RULES = 6
ITEM_MEAN, ITEM_SD = 0.4, 1.0  # plain accuracy ~0.58, near the paper's 7-8B models on MMLU
PLANTED_SD = 0.5  # logit sd of the shared subject effect: about 11 points of accuracy per subject
POWER_SEED_SD = 0.15
N_BOOT = 100  # CIs are not calibrated here; the p-values and the consistency do not use them


@dataclass(frozen=True)
class World:
    subjects: int = SUBJECTS
    items: int = ITEMS
    seeds: int = SEEDS
    rules: int = RULES


def simulate_runs(
    rng: np.random.Generator, seed_sd: float, effects: np.ndarray, world: World = World()
) -> pl.DataFrame:
    """Per-item results of plain and `world.rules` arms; effects: (rules, subjects) logit shifts."""
    n = world.subjects * world.items
    subject_of = np.repeat(np.arange(world.subjects), world.items)
    logits = rng.normal(ITEM_MEAN, ITEM_SD, n)
    arms = [BASELINE] + [f"r{k + 1}" for k in range(world.rules)]
    frames = []
    for a, arm in enumerate(arms):
        effect = np.zeros(world.subjects) if a == 0 else effects[a - 1]
        for s in range(world.seeds):
            shift = rng.normal(0.0, seed_sd, world.subjects)
            p = 1.0 / (1.0 + np.exp(-(logits + (effect + shift)[subject_of])))
            frames.append((arm, s, rng.random(n) < p))
    subject = [f"s{j:02d}" for j in subject_of]
    category = [f"c{j % 2}" for j in subject_of]
    item_id = [f"i{i:05d}" for i in range(n)]
    return pl.concat(
        pl.DataFrame(
            {"item_id": item_id, "subject": subject, "category": category, "correct": correct}
        ).with_columns(
            pl.lit("sim").alias("model"), pl.lit(arm).alias("arm"), pl.lit(s).alias("seed")
        )
        for arm, s, correct in frames
    )


def one_simulation(
    rng: np.random.Generator, seed_sd: float, effects: np.ndarray, alpha: float, world: World
) -> tuple[np.ndarray, float, float]:
    """(p of every subject x rule cell, consistency statistic, consistency p) of one world."""
    runs = simulate_runs(rng, seed_sd, effects, world)
    seed = int(rng.integers(2**31))
    # per_seed=False: the diagnostic per-seed rows enter neither the p-values nor the consistency
    deltas = summarise(runs, {}, n_boot=N_BOOT, seed=seed, alpha=alpha, per_seed=False)
    cells = deltas.filter((pl.col("level") == "subject") & pl.col("seed").is_null())
    arms = [f"r{k + 1}" for k in range(world.rules)]
    row = consistency(deltas, arms, seed=seed, alpha=alpha).row(0, named=True)
    return cells["p"].to_numpy(), row["consistency"], row["p"]


def calibrate(sims: int, seed: int, alpha: float = 0.05, world: World = World()) -> dict:
    """The calibration numbers (see the module docstring) from `sims` simulations per setting."""
    rng = np.random.default_rng(seed)
    null = np.zeros((world.rules, world.subjects))
    fpr, null_stats = {}, []
    for sd in SEED_SDS:
        pvalues = []
        for _ in range(sims):
            p, statistic, _ = one_simulation(rng, sd, null, alpha, world)
            pvalues.append(p)
            null_stats.append(statistic)
        fpr[str(sd)] = float(np.mean(np.concatenate(pvalues) < alpha))
    detected = 0
    for _ in range(sims):
        planted = np.tile(rng.normal(0.0, PLANTED_SD, world.subjects), (world.rules, 1))
        detected += one_simulation(rng, POWER_SEED_SD, planted, alpha, world)[2] < alpha
    return {
        "sims": sims,
        "seed": seed,
        "alpha": alpha,
        "world": asdict(world),
        "planted_sd": PLANTED_SD,
        "fpr": fpr,
        "consistency_null": float(np.nanmean(null_stats)),
        "consistency_power": detected / sims,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sims", type=int, default=200, help="simulations per setting")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulations")
    parser.add_argument("--alpha", type=float, default=0.05, help="the silly.summary.alpha")
    parser.add_argument("--subjects", type=int, default=SUBJECTS, help="subjects per world")
    parser.add_argument("--items", type=int, default=ITEMS, help="test items per subject")
    parser.add_argument("--rules", type=int, default=RULES, help="rule arms besides plain")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    world = World(subjects=args.subjects, items=args.items, rules=args.rules)
    result = calibrate(args.sims, args.seed, args.alpha, world)
    result["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
