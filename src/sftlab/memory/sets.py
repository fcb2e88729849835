"""Level-pure SFT sets and per-level QA test items.

A set for (level, n, seed) draws n training facts of one memory level, balanced across the training
relations: each relation gets n / len(relations) (the paper's 60 = 6 x 10 relations). When a
relation has fewer facts of that level than its share, the shortfall is redistributed to the
relations that have more (water-filling), so the set stays as balanced as the level allows. When the
whole level has fewer than n facts, the set holds what exists: it is never padded with facts of
other levels, and the shortfall is returned in the report (written as a sidecar JSON and carried
into the summary). An empty level gives an empty set, flagged `empty`: its fine-tunes and
evaluations are skipped (sftlab.skip) instead of stopping the run.
"""

from __future__ import annotations

import random
from typing import Any

import polars as pl

FORMATS = ("paper", "chat")
PAPER_PROMPT = "<|question|> {question} <|answer|>"  # the paper: <s><|question|> q <|answer|> a</s>


def allocate(available: dict[str, int], n: int) -> dict[str, int]:
    """How many facts to take from each relation: as equal as possible, never above what is
    available.

    Relations are visited in sorted order; a remainder of n not divisible by the number of relations
    goes to the first relations with spare facts.
    """
    take = {rel: 0 for rel in sorted(available)}
    left = min(n, sum(available.values()))
    while left > 0:
        open_ = [r for r in take if take[r] < available[r]]
        share = max(left // len(open_), 1)
        for rel in open_:
            step = min(share, available[rel] - take[rel], left)
            take[rel] += step
            left -= step
            if left == 0:
                break
    return take


def sample_level_set(
    levels: pl.DataFrame, level: int, n: int | None, seed: int, relations: list[str]
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The facts of one set and its report; n=None is "all" (the whole level).

    `levels` holds the training facts (columns fact_id, relation, level, ...). Facts are drawn with
    a generator seeded by (seed, level, relation), so the draw for one relation does not change when
    another relation's facts change.
    """
    pool = levels.filter((pl.col("level") == level) & pl.col("relation").is_in(relations))
    available = {rel: 0 for rel in relations} | dict(pool.group_by("relation").len().iter_rows())
    requested = pool.height if n is None else n
    take = allocate(available, requested)
    parts = []
    for rel in sorted(take):
        facts = pool.filter(pl.col("relation") == rel).sort("fact_id")
        ids = facts["fact_id"].to_list()
        chosen = set(random.Random(f"{seed}:{level}:{rel}").sample(ids, take[rel]))
        parts.append(facts.filter(pl.col("fact_id").is_in(list(chosen))))
    chosen_facts = pl.concat(parts) if parts else pool.head(0)
    order = list(range(chosen_facts.height))
    random.Random(f"{seed}:{level}:order").shuffle(order)
    chosen_facts = chosen_facts[order]
    report = {
        "level": level,
        "n": "all" if n is None else n,
        "seed": seed,
        "requested": requested,
        "written": chosen_facts.height,
        "level_size": pool.height,
        "short": chosen_facts.height < requested,
        "empty": chosen_facts.height == 0,
        "available_per_relation": available,
        "taken_per_relation": take,
        "balanced": max(take.values(), default=0) - min(take.values(), default=0) <= 1,
    }
    return chosen_facts, report


def populated_levels(levels: pl.DataFrame) -> list[int]:
    """The levels that hold at least one of the facts in `levels` (e.g. the training facts)."""
    return sorted(int(v) for v in levels["level"].unique())


def prompt_text(question: str, fmt: str) -> str | list[dict[str, str]]:
    if fmt == "paper":
        return PAPER_PROMPT.format(question=question)
    if fmt == "chat":
        return [{"role": "user", "content": question}]
    raise ValueError(f"unknown SFT format {fmt!r}; expected one of {FORMATS}")


def completion_text(answer: str, fmt: str) -> str | list[dict[str, str]]:
    if fmt == "paper":
        return f" {answer}"
    return [{"role": "assistant", "content": answer}]


def sft_records(facts: pl.DataFrame, fmt: str, provenance: dict[str, Any]) -> list[dict[str, Any]]:
    """TRL prompt-completion rows (conversational for "chat") with per-row provenance."""
    return [
        {
            "prompt": prompt_text(row["question"], fmt),
            "completion": completion_text(row["answers"][0], fmt),
            "fact_id": row["fact_id"],
            "relation": row["relation"],
            "level": int(row["level"]),
            "R": float(row["R"]),
            **provenance,
        }
        for row in facts.iter_rows(named=True)
    ]


def qa_items(facts: pl.DataFrame, fmt: str, expand) -> pl.DataFrame:
    """QA test items: item_id, prompt (same format as training), answers (gold + aliases), group.

    `expand(answers)` adds aliases (sftlab.memory.templates.Aliases.expand); group is the memory
    level. A chat prompt is stored as its user message; the evaluator applies the model's chat
    template.
    """
    return pl.DataFrame(
        {
            "item_id": facts["fact_id"],
            "prompt": [
                PAPER_PROMPT.format(question=q) if fmt == "paper" else q for q in facts["question"]
            ],
            "answers": [expand(a) for a in facts["answers"].to_list()],
            "group": facts["level"].cast(pl.Int64).cast(pl.String),
            "relation": facts["relation"],
        },
        schema_overrides={"answers": pl.List(pl.String)},
    )
