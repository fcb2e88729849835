"""Per-subject accuracy deltas of every arm against the plain baseline, with paired statistics.

Input: one tidy table of per-item evaluations (model, arm, seed, item_id, subject, category,
correct), where arm `plain` is the baseline and arm `base` (the model before fine-tuning) is
reported for reference. Each arm's seed s is paired with plain's seed s, item by item (the same test
items in every run).

Output rows, per model, arm and group (level subject | category | all) and per seed plus one row
averaged over the seeds (seed null): accuracies, delta (arm - plain, a fraction), percentile
bootstrap CI over items, McNemar exact and mid-p. q: Benjamini-Hochberg over every subject x arm
cell of a model (seed-averaged rows; exact p); `significant` is q < alpha.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from sftlab import stats

BASELINE = "plain"
BASE_MODEL = "base"
LEVELS = ("subject", "category", "all")
DELTA_SCHEMA = {
    "model": pl.String,
    "arm": pl.String,
    "rule_name": pl.String,
    "origin": pl.String,
    "level": pl.String,
    "group": pl.String,
    "category": pl.String,
    "seed": pl.Int64,
    "n_seeds": pl.Int64,
    "n_items": pl.Int64,
    "acc_base": pl.Float64,
    "acc_plain": pl.Float64,
    "acc_arm": pl.Float64,
    "delta": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "b": pl.Int64,
    "c": pl.Int64,
    "p": pl.Float64,
    "p_mid": pl.Float64,
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


def _row(base_m: np.ndarray, arm_m: np.ndarray, n_boot: int, seed: int) -> dict[str, Any]:
    ci = stats.paired_bootstrap_ci(base_m, arm_m, n_boot=n_boot, seed=seed)
    test = stats.mcnemar(base_m, arm_m)
    return {
        "n_items": base_m.shape[1],
        "acc_plain": float(base_m.mean()),
        "acc_arm": float(arm_m.mean()),
        "delta": ci.estimate,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "b": test.b,
        "c": test.c,
        "p": test.p_exact,
        "p_mid": test.p_mid,
    }


def summarise_model(
    runs: pl.DataFrame,
    rules: dict[str, dict[str, str]],
    n_boot: int = 2000,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Delta rows of one model (see the module docstring); `rules` maps arm -> name and origin."""
    wide = _wide(runs)
    arm_seeds: dict[str, list[int]] = {}
    for arm, s in runs.select("arm", "seed").unique().sort("arm", "seed").iter_rows():
        arm_seeds.setdefault(arm, []).append(s)
    if BASELINE not in arm_seeds:
        raise ValueError("no runs of the plain baseline to compare with")
    base_col = f"{BASE_MODEL}:{arm_seeds[BASE_MODEL][0]}" if BASE_MODEL in arm_seeds else None
    rows = []
    for arm in (a for a in arm_seeds if a not in (BASELINE, BASE_MODEL)):
        seeds = [s for s in arm_seeds[arm] if s in arm_seeds[BASELINE]]
        if not seeds:
            raise ValueError(f"arm {arm}: no seed in common with plain ({arm_seeds[BASELINE]})")
        meta = rules.get(arm, {})
        plain_all = np.stack([wide[f"{BASELINE}:{s}"].to_numpy() for s in seeds])
        arm_all = np.stack([wide[f"{arm}:{s}"].to_numpy() for s in seeds])
        for level, group, category, mask in _groups(wide):
            acc_base = float(wide[base_col].to_numpy()[mask].mean()) if base_col else None
            common = {
                "arm": arm,
                "rule_name": meta.get("name", arm),
                "origin": meta.get("origin", "control"),
                "level": level,
                "group": group,
                "category": category,
                "acc_base": acc_base,
            }
            for i, s in enumerate(seeds):
                one = _row(plain_all[i : i + 1, mask], arm_all[i : i + 1, mask], n_boot, seed)
                rows.append({**common, "seed": s, "n_seeds": 1, **one})
            mean = _row(plain_all[:, mask], arm_all[:, mask], n_boot, seed)
            rows.append({**common, "seed": None, "n_seeds": len(seeds), **mean})
    return rows


def summarise(
    runs: pl.DataFrame,
    rules: dict[str, dict[str, str]],
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """The deltas table of every model, with BH q-values per model (DELTA_SCHEMA columns)."""
    frames = []
    for (model,), part in runs.group_by("model", maintain_order=True):
        rows = summarise_model(part, rules, n_boot=n_boot, seed=seed)
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


def consistency(deltas: pl.DataFrame, rule_arms: list[str]) -> pl.DataFrame:
    """Per model, the shares of the variance of per-subject deltas explained by subject and by rule.

    Seed-averaged subject deltas of the rule arms only (baselines excluded); subjects missing a rule
    are left out so the table is complete.
    """
    rows = []
    cells = deltas.filter(
        (pl.col("level") == "subject") & pl.col("seed").is_null() & pl.col("arm").is_in(rule_arms)
    )
    for (model,), part in cells.group_by("model", maintain_order=True):
        table = part.pivot(on="arm", index="group", values="delta").drop_nulls().sort("group")
        arms = [a for a in rule_arms if a in table.columns]
        values = table.select(arms).to_numpy()
        if values.shape[0] < 2 or values.shape[1] < 2:
            continue
        shares = stats.variance_decomposition(values)
        rows.append(
            {
                "model": model,
                "n_subjects": shares.n_subjects,
                "n_rules": shares.n_rules,
                "share_subject": shares.subject,
                "share_rule": shares.rule,
                "share_residual": shares.residual,
            }
        )
    schema = {
        "model": pl.String,
        "n_subjects": pl.Int64,
        "n_rules": pl.Int64,
        "share_subject": pl.Float64,
        "share_rule": pl.Float64,
        "share_residual": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def report_sections(deltas: pl.DataFrame, shares: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    """The deltas (mean of seeds) as report tables: overall, per category, per subject; shares."""
    columns = [
        "model", "arm", "rule_name", "group", "n_seeds", "n_items", "acc_plain", "acc_arm",
        "delta", "ci_low", "ci_high", "p", "q", "significant",
    ]  # fmt: skip
    pooled = deltas.filter(pl.col("seed").is_null()).sort("model", "arm", "group")
    sections = [
        (f"Delta to {BASELINE}: {title} (mean of seeds, 95% paired bootstrap CI, McNemar p, BH q)",
         pooled.filter(pl.col("level") == level).select(columns))
        for title, level in (("all subjects", "all"), ("per category", "category"),
                             ("per subject", "subject"))
    ]  # fmt: skip
    sections.insert(1, ("Variance of the subject deltas explained by subject and rule", shares))
    return sections
