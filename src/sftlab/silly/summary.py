"""Per-subject accuracy deltas of every arm against the plain baseline, with seed-aware statistics.

Input: one tidy table of per-item evaluations (model, arm, seed, item_id, subject, category,
correct), where arm `plain` is the baseline and arm `base` (the model before fine-tuning) is
reported for reference. Every run is evaluated on the same test items.

Output rows, per model, arm and group (level subject | category | all): one row averaged over the
seeds (seed null), all of the arm's seeds against all of plain's: accuracies, delta (a fraction),
a two-stage bootstrap CI over seeds and items, and p of `stats.delta_test` (`test` names it,
`seed_variance` says whether it accounts for seeds); plus one diagnostic row per seed against
plain's run of that seed. q: Benjamini-Hochberg over the seed-averaged subject x arm cells of a
model; `significant` is q < alpha. delta_half_a/b are the deltas against two independent halves of
plain, the input of `consistency`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from sftlab import stats

BASELINE = "plain"
BASE_MODEL = "base"
DELTA_SCHEMA = {
    "model": pl.String,
    "arm": pl.String,
    "rule_name": pl.String,
    "label": pl.String,
    "origin": pl.String,
    "level": pl.String,
    "group": pl.String,
    "category": pl.String,
    "seed": pl.Int64,
    "n_seeds": pl.Int64,
    "n_plain_seeds": pl.Int64,
    "n_items": pl.Int64,
    "acc_base": pl.Float64,
    "acc_plain": pl.Float64,
    "acc_arm": pl.Float64,
    "delta": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p": pl.Float64,
    "test": pl.String,
    "seed_variance": pl.Boolean,
    "delta_half_a": pl.Float64,
    "delta_half_b": pl.Float64,
    "q": pl.Float64,
    "significant": pl.Boolean,
}


def _wide(runs: pl.DataFrame) -> pl.DataFrame:
    """One row per test item, one 0/1 column per `arm:seed` run."""
    keyed = runs.with_columns(
        (pl.col("arm") + ":" + pl.col("seed").cast(pl.String)).alias("run"),
        pl.col("correct").cast(pl.Int8),
    )
    wide = keyed.pivot(on="run", index=["item_id", "subject", "category"], values="correct")
    missing = [c for c in wide.columns[3:] if wide[c].null_count()]
    if missing:
        raise ValueError(f"runs {missing} were not evaluated on the same items as the others")
    return wide.sort("item_id")


def _groups(wide: pl.DataFrame) -> list[tuple[str, str, str, np.ndarray]]:
    """(level, group, category, row mask) for every subject, category and the whole test set."""
    subject, category = wide["subject"].to_numpy(), wide["category"].to_numpy()
    out = []
    for name in sorted(set(subject)):
        mask = subject == name
        out.append(("subject", name, str(category[mask][0]), mask))
    for name in sorted(set(category)):
        out.append(("category", name, name, category == name))
    out.append(("all", "all", "all", np.ones(len(subject), dtype=bool)))
    return out


def _halves(plain: np.ndarray, mask: np.ndarray) -> tuple[tuple, tuple]:
    """Two independent halves of the baseline as (plain rows, item mask) pairs.

    Disjoint plain seeds (even and odd positions) when there are two or more, else the group's
    items split alternately; see `stats.rule_consistency` for why the halves must be independent.
    """
    if plain.shape[0] >= 2:
        return (plain[0::2], mask), (plain[1::2], mask)
    positions = np.flatnonzero(mask)
    first, second = np.zeros_like(mask), np.zeros_like(mask)
    first[positions[0::2]], second[positions[1::2]] = True, True
    return (plain, first), (plain, second)


def _row(
    plain: np.ndarray, arm: np.ndarray, mask: np.ndarray, n_boot: int, seed: int
) -> dict[str, Any]:
    ci = stats.two_stage_bootstrap_ci(plain[:, mask], arm[:, mask], n_boot=n_boot, seed=seed)
    test = stats.delta_test(plain[:, mask], arm[:, mask], seed=seed)
    half_a, half_b = (
        float(arm[:, m].mean() - rows[:, m].mean()) for rows, m in _halves(plain, mask)
    )
    return {
        "n_seeds": arm.shape[0],
        "n_plain_seeds": plain.shape[0],
        "n_items": int(mask.sum()),
        "acc_plain": float(plain[:, mask].mean()),
        "acc_arm": float(arm[:, mask].mean()),
        "delta": ci.estimate,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "p": test.p,
        "test": test.test,
        "seed_variance": test.seed_variance,
        "delta_half_a": half_a,
        "delta_half_b": half_b,
    }


def summarise_model(
    runs: pl.DataFrame,
    rules: dict[str, dict[str, str]],
    n_boot: int = 2000,
    seed: int = 0,
    per_seed: bool = True,
) -> list[dict[str, Any]]:
    """Delta rows of one model (see the module docstring); `rules` maps arm -> name, label
    (short name for tables and figures) and origin. per_seed False leaves out the diagnostic
    per-seed rows (nothing else depends on them)."""
    wide = _wide(runs)
    arm_seeds: dict[str, list[int]] = {}
    for arm, s in runs.select("arm", "seed").unique().sort("arm", "seed").iter_rows():
        arm_seeds.setdefault(arm, []).append(s)
    if BASELINE not in arm_seeds:
        raise ValueError("no runs of the plain baseline to compare with")
    base_col = f"{BASE_MODEL}:{arm_seeds[BASE_MODEL][0]}" if BASE_MODEL in arm_seeds else None
    plain_seeds = arm_seeds[BASELINE]
    plain_all = np.stack([wide[f"{BASELINE}:{s}"].to_numpy() for s in plain_seeds])
    rows = []
    for arm in (a for a in arm_seeds if a not in (BASELINE, BASE_MODEL)):
        meta = rules.get(arm, {})
        arm_all = np.stack([wide[f"{arm}:{s}"].to_numpy() for s in arm_seeds[arm]])
        for level, group, category, mask in _groups(wide):
            acc_base = float(wide[base_col].to_numpy()[mask].mean()) if base_col else None
            common = {
                "arm": arm,
                "rule_name": meta.get("name", arm),
                "label": meta.get("label", arm),
                "origin": meta.get("origin", "control"),
                "level": level,
                "group": group,
                "category": category,
                "acc_base": acc_base,
            }
            # per-seed rows are diagnostics (the seed's run against plain's run of that seed)
            for i, s in enumerate(arm_seeds[arm] if per_seed else []):
                if s in plain_seeds:
                    j = plain_seeds.index(s)
                    one = _row(plain_all[j : j + 1], arm_all[i : i + 1], mask, n_boot, seed)
                    rows.append({**common, "seed": s, **one})
            rows.append({**common, "seed": None, **_row(plain_all, arm_all, mask, n_boot, seed)})
    return rows


def summarise(
    runs: pl.DataFrame,
    rules: dict[str, dict[str, str]],
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    per_seed: bool = True,
) -> pl.DataFrame:
    """The deltas table of every model, with BH q-values per model (DELTA_SCHEMA columns)."""
    frames = []
    for (model,), part in runs.group_by("model", maintain_order=True):
        rows = summarise_model(part, rules, n_boot=n_boot, seed=seed, per_seed=per_seed)
        frame = pl.DataFrame(rows).with_columns(pl.lit(model).alias("model"))
        family = (pl.col("level") == "subject") & pl.col("seed").is_null()
        p = frame.filter(family)["p"].to_numpy()
        q = pl.Series("q", stats.benjamini_hochberg(p), dtype=pl.Float64)
        index = frame.with_row_index("_row").filter(family)["_row"]
        q_full = np.full(frame.height, np.nan)
        q_full[index.to_numpy()] = q.to_numpy()
        frame = frame.with_columns(pl.Series("q", q_full).fill_nan(None))
        frames.append(frame)
    table = pl.concat(frames, how="diagonal_relaxed")
    table = table.with_columns((pl.col("q") < alpha).fill_null(False).alias("significant"))
    return table.select([pl.col(name).cast(dtype) for name, dtype in DELTA_SCHEMA.items()]).sort(
        "model", "arm", "level", "group", "seed", nulls_last=True
    )


CONSISTENCY_SCHEMA = {
    "model": pl.String,
    "n_subjects": pl.Int64,
    "n_rules": pl.Int64,
    "halves": pl.String,
    "consistency": pl.Float64,
    "p": pl.Float64,
    "significant": pl.Boolean,
}


def consistency_inputs(deltas: pl.DataFrame, model: str, rule_arms: list[str]):
    """(arms, subjects, half_a, half_b): tables of a model's seed-averaged subject deltas against
    the two halves of plain.

    Subjects missing a rule are left out, so the tables are complete.
    """
    cells = deltas.filter(
        (pl.col("model") == model)
        & (pl.col("level") == "subject")
        & pl.col("seed").is_null()
        & pl.col("arm").is_in(rule_arms)
    )
    arms = [a for a in rule_arms if a in set(cells["arm"])]
    tables = [
        cells.pivot(on="arm", index="group", values=column).drop_nulls().sort("group")
        for column in ("delta_half_a", "delta_half_b")
    ]
    subjects = tables[0]["group"].to_list()
    return arms, subjects, *(t.select(arms).to_numpy() for t in tables)


def consistency(
    deltas: pl.DataFrame,
    rule_arms: list[str],
    n_perm: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Per model, whether the rules share a subject effect (`stats.rule_consistency`).

    Rule arms only (baselines and controls excluded). `halves` says how the baseline was split:
    plain seeds (two or more) or items (one seed: a seed-level shift of plain is then shared by
    both halves and can still look like consistency).
    """
    rows = []
    for model in deltas["model"].unique(maintain_order=True).to_list():
        arms, subjects, half_a, half_b = consistency_inputs(deltas, model, rule_arms)
        if len(subjects) < 3 or len(arms) < 2:
            continue
        result = stats.rule_consistency(half_a, half_b, n_perm=n_perm, seed=seed)
        plain_seeds = deltas.filter(pl.col("model") == model)["n_plain_seeds"].max()
        rows.append(
            {
                "model": model,
                "n_subjects": len(subjects),
                "n_rules": len(arms),
                "halves": "plain seeds" if plain_seeds >= 2 else "items",
                "consistency": result.statistic,
                "p": result.p,
                "significant": result.p < alpha,
            }
        )
    return pl.DataFrame(rows, schema=CONSISTENCY_SCHEMA)


def report_sections(deltas: pl.DataFrame, shares: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    """Seed-averaged deltas as report tables (overall, per category, per subject); consistency."""
    columns = [
        "model", "arm", "label", "rule_name", "group", "n_seeds", "n_plain_seeds", "n_items",
        "acc_plain", "acc_arm", "delta", "ci_low", "ci_high", "p", "q", "significant", "test",
    ]  # fmt: skip
    pooled = deltas.filter(pl.col("seed").is_null()).sort("model", "arm", "group")
    one_seed = pooled.height and not pooled["seed_variance"].all()
    note = "; SEED VARIANCE NOT ESTIMATED (an arm has one seed)" if one_seed else ""
    sections = [
        (f"Delta to {BASELINE}: {title} (mean of seeds, 95% bootstrap CI over seeds and items, "
         f"p of the named test, BH q{note})",
         pooled.filter(pl.col("level") == level).select(columns))
        for title, level in (("all subjects", "all"), ("per category", "category"),
                             ("per subject", "subject"))
    ]  # fmt: skip
    sections.insert(
        1,
        ("Consistency: shared subject effect of the rules against independent baseline halves "
         "(0 when rules do nothing; permutation p)", shares),
    )  # fmt: skip
    return sections
