"""The pretraining corpus: every fact stated `exposure` times in its relation's phrasings,
question-answer text about the QA-pool facts, plus filler.

One document per line. A fact stated k times cycles through the relation's phrasings from a random
start, so a fact seen three times or more has been seen in every corpus phrasing, and the held-out
paraphrase of relations.yaml is never used. Filler sentences mention pool objects without stating
any relation, so the model learns the language around the names, not extra facts.

Real pretraining text holds questions with their answers; a model that never read one cannot turn
a question into the fact it knows, and fine-tuning on one relation's questions does not teach it the
others'. So each QA-pool fact (world.QA_POOL, never tested) is also asked and answered `qa_repeats`
times in the relation's own question ("Q: Who is X married to? A: Y."), through the `qa_formats` of
relations.yaml. Facts that are fine-tuned on or tested never appear as question-answer text
(`question_leaks` checks a built corpus), so the memory study still measures recall of what the
model read declaratively.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import polars as pl

from sftlab.demo.world import QA_POOL, Relation

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


def qa_statements(
    facts: pl.DataFrame,
    relations: dict[str, Relation],
    formats: list[str],
    repeats: int,
    rng: random.Random,
) -> list[str]:
    """`repeats` question-answer documents per QA-pool fact, cycling through `formats`."""
    for template in formats:
        if "{question}" not in template or "{object}" not in template:
            raise ValueError(f"qa_formats: '{template}' must contain {{question}} and {{object}}")
    lines = []
    for row in facts.filter(pl.col("split") == QA_POOL).iter_rows(named=True):
        question = relations[row["relation"]].ask(row["subject"])
        start = rng.randrange(len(formats))
        for k in range(repeats):
            template = formats[(start + k) % len(formats)]
            lines.append(template.format(question=question, object=row["object"]))
    return lines


def question_leaks(lines: list[str], facts: pl.DataFrame) -> list[str]:
    """Questions of facts outside the QA pool that the corpus asks (should be none): the question
    itself anywhere, or the fact's subject in any question-bearing document (one with a "?"), so a
    question worded otherwise than the relation's own is caught too. Subjects are unique invented
    names, so a subject inside a question is a question about that fact, unless it is only part of a
    longer name (the country "Steitra" inside the person "Tradras Steitra"): those are blanked out
    before the subject is looked for."""
    text = "\n".join(lines)
    asking = "\n".join(line for line in lines if "?" in line)
    names = set(facts["subject"]) | set(facts["object"])
    tested = facts.filter(pl.col("split") != QA_POOL)
    leaks = []
    for question, subject in zip(tested["question"], tested["subject"], strict=True):
        if question in text:
            leaks.append(question)
        elif subject in asking:
            scrubbed = asking
            longer = [n for n in names if subject in n and n != subject]
            for name in sorted(longer, key=len, reverse=True):
                scrubbed = scrubbed.replace(name, "")
            if subject in scrubbed:
                leaks.append(question)
    return leaks


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
    qa_formats: Sequence[str] = (),
    qa_repeats: int = 0,
) -> list[str]:
    """Fact statements, QA-pool question-answer text and round(filler_ratio x statements) filler
    sentences, shuffled."""
    rng = random.Random(seed)
    lines = fact_statements(facts, relations, rng)
    if qa_formats and qa_repeats:
        lines += qa_statements(facts, relations, list(qa_formats), qa_repeats, rng)
    lines += filler_sentences(filler, pools, round(filler_ratio * len(lines)), rng)
    rng.shuffle(lines)
    return lines
