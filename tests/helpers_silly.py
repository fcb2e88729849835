"""Synthetic MMLU tables and per-item evaluations for the silly-study unit tests."""

from __future__ import annotations

import numpy as np
import polars as pl

from sftlab.data.schemas import MMLU

SUBJECTS = {"astronomy": "STEM", "philosophy": "humanities", "sociology": "social sciences"}


def mmlu_table(per_split: int = 30) -> pl.DataFrame:
    rows = []
    for split in ("validation", "test"):
        for subject, category in SUBJECTS.items():
            for i in range(per_split):
                rows.append(
                    {
                        "item_id": f"{split[:3]}-{subject}-{i:03d}",
                        "subject": subject,
                        "category": category,
                        "question": f"In {subject}, which statement {i} about {split} holds?",
                        "choices": [f"option {k} of {i}" for k in "wxyz"],
                        "answer": i % 4,
                        "split": split,
                    }
                )
    return pl.DataFrame(rows, schema=MMLU)


def eval_runs(arm_shift: dict[str, float], seeds=(0, 1), n: int = 80, seed: int = 0):
    """Per-item results: plain is right with p=0.5; an arm flips plain's misses up by its shift."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in seeds:
        plain = rng.random(n * len(SUBJECTS)) < 0.5
        for arm, shift in {"plain": 0.0, **arm_shift}.items():
            flip = rng.random(plain.size) < abs(shift)
            correct = plain | flip if shift >= 0 else plain & ~flip
            for k, (subject, category) in enumerate(
                (s_, c_) for s_, c_ in SUBJECTS.items() for _ in range(n)
            ):
                rows.append(
                    {
                        "model": "m",
                        "arm": arm,
                        "seed": s,
                        "item_id": f"{subject}-{k}",
                        "subject": subject,
                        "category": category,
                        "correct": bool(correct[k]),
                    }
                )
    base = [dict(r, arm="base") for r in rows if r["arm"] == "plain" and r["seed"] == seeds[0]]
    return pl.DataFrame(rows + base)
