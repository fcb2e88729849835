"""The pretraining corpus: every fact stated `exposure` times in its relation's phrasings, plus
filler.

One document per line. A fact stated k times cycles through the relation's phrasings from a random
start, so a fact seen three times or more has been seen in every corpus phrasing, and the held-out
paraphrase of relations.yaml is never used. Filler sentences mention pool objects without stating
any relation, so the model learns the language around the names, not extra facts.
"""

from __future__ import annotations

import random
from typing import Any

import polars as pl

from sftlab.demo.world import Relation

FILLER_SLOTS = {"city": ("cities",), "country": ("countries",), "language": ("languages",)}
PERSON_POOLS = ("spouses", "authors")


def fact_statements(
    facts: pl.DataFrame, relations: dict[str, Relation], rng: random.Random
) -> list[str]:
    lines = []
    for row in facts.iter_rows(named=True):
        relation = relations[row["relation"]]
        start = rng.randrange(len(relation.phrasings))
        for k in range(row["exposure"]):
            template = relation.phrasings[(start + k) % len(relation.phrasings)]
            lines.append(relation.statement(template, row["subject"], row["object"]))
    return lines


def filler_sentences(
    templates: list[str], pools: dict[str, list[str]], count: int, rng: random.Random
) -> list[str]:
    people = [name for pool in PERSON_POOLS for name in pools.get(pool, [])]
    lines = []
    for _ in range(count):
        text = rng.choice(templates)
        values: dict[str, Any] = {"person": rng.choice(people) if people else "Someone"}
        for slot, pool_names in FILLER_SLOTS.items():
            options = [name for pool in pool_names for name in pools.get(pool, [])]
            values[slot] = rng.choice(options) if options else slot
        lines.append(text.format(**values))
    return lines


def build_corpus(
    facts: pl.DataFrame,
    relations: dict[str, Relation],
    pools: dict[str, list[str]],
    filler: list[str],
    filler_ratio: float,
    seed: int,
) -> list[str]:
    """Fact statements and round(filler_ratio x statements) filler sentences, shuffled."""
    rng = random.Random(seed)
    lines = fact_statements(facts, relations, rng)
    lines += filler_sentences(filler, pools, round(filler_ratio * len(lines)), rng)
    rng.shuffle(lines)
    return lines
