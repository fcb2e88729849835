"""The demo world: invented entities, relations and facts, each fact with a known exposure count.

A fact is (relation, subject, object). Its exposure is how many times the pretraining corpus states
it (sftlab.demo.corpus), drawn from a discretised Zipf law on 0..exposure_max, so that some facts
are never seen, most are seen a few times and a few are seen dozens of times. Each relation also
gets `qa_pool_per_relation` QA-pool facts (split "qa_pool"): stated a few times and also asked and
answered in the corpus, they are never fine-tuned on or tested. Everything is a
function of the seed and of config/demo/relations.yaml: the same inputs give the same world, byte
for byte.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from sftlab.io import stable_id

SPLITS = ("train", "dev", "test")  # the splits written to the released layouts (tested facts)
QA_POOL = "qa_pool"  # the split of facts that the corpus also states as question-answer text
FACT_COLUMNS = (
    "fact_id",
    "relation",
    "subject",
    "object",
    "question",
    "answers",
    "split",
    "domain",
    "exposure",
)


@dataclass(frozen=True)
class Relation:
    """One relation of relations.yaml."""

    id: str
    question: str
    domain: str
    subject_kind: str
    objects: str
    phrasings: tuple[str, ...]
    held_out: str
    mmlu_subject: str
    mmlu_category: str

    def statement(self, template: str, subject: str, obj: str) -> str:
        return template.format(subject=subject, object=obj)

    def prefix(self, template: str, subject: str) -> str:
        """The declarative probe: the text before the object, e.g. 'The capital of X is'."""
        return template.split("{object}")[0].format(subject=subject).rstrip()

    def ask(self, subject: str) -> str:
        return self.question.replace("[X]", subject)


@dataclass(frozen=True)
class WorldSettings:
    """Size and shape of the world (config `demo.world`)."""

    seed: int = 0
    facts_per_relation: int = (
        150  # x 9 relations = 1,350 facts; 5 in-domain x 150 x 0.6 = 450 train
    )
    exposure_max: int = 64  # the most times one fact is stated
    zipf_exponent: float = 1.4  # P(k) ~ (k+1)^-a on 0..max; 1.4: ~38 % unseen, ~6 % at 32..64
    splits: dict[str, float] = field(
        default_factory=lambda: {"train": 0.6, "dev": 0.1, "test": 0.3}
    )
    # Per relation, extra facts (split "qa_pool") that the corpus states declaratively AND as
    # question-answer text, so the model learns to answer every relation's question from what it
    # read; never written to the released layouts, so no tested fact is ever seen as QA.
    qa_pool_per_relation: int = 40
    # Pool facts are known but cheap: declarative exposure uniform on this range (a Zipf draw
    # would double the corpus through its tail and dilute the tested facts' epochs; 40 x 9 facts
    # at 1..4 plus 2 questions each grow the corpus by 30 %, matched by 320 steps instead of 240)
    qa_pool_exposure: tuple[int, int] = (1, 4)
    qa_repeats: int = 4  # question-answer documents per pool fact, each in another qa_format


def load_relations(doc: dict[str, Any]) -> dict[str, Relation]:
    """Relations of a parsed relations.yaml, checked for what the world and the loaders rely on."""
    relations = {}
    questions = set()
    for rid, entry in doc["relations"].items():
        relation = Relation(
            id=rid,
            phrasings=tuple(entry["phrasings"]),
            **{k: v for k, v in entry.items() if k != "phrasings"},
        )
        for template in (*relation.phrasings, relation.held_out):
            if not template.rstrip(".").endswith("{object}") or "{subject}" not in template:
                raise ValueError(
                    f"relations.{rid}: '{template}' must contain {{subject}} and end in {{object}}"
                )
        if "[X]" not in relation.question or relation.question in questions:
            raise ValueError(f"relations.{rid}.question: needs [X] and must differ from the others")
        if relation.objects not in doc["pools"] or relation.subject_kind not in doc["entity_kinds"]:
            raise ValueError(f"relations.{rid}: unknown objects pool or subject_kind")
        questions.add(relation.question)
        relations[rid] = relation
    return relations


class NameMaker:
    """Pronounceable, unique invented names; no object occurs inside another name or a template.

    The containment test of probing (object inside the continuation) must not fire by accident, so a
    new object may not be a substring of an existing name, nor an existing object of a new name.
    """

    def __init__(
        self, syllables: dict[str, list[str]], rng: random.Random, reserved_text: str = ""
    ):
        self.onsets = syllables["onsets"]
        self.vowels = syllables["vowels"]
        self.codas = syllables["codas"]
        self.rng = rng
        self.names: set[str] = set()
        self.objects: list[str] = []
        self.haystack: list[str] = [reserved_text.lower()]

    def word(self, low: int, high: int) -> str:
        n = self.rng.randint(low, high)
        parts = [
            self.rng.choice(self.onsets)
            + self.rng.choice(self.vowels)
            + self.rng.choice(self.codas)
            for _ in range(n)
        ]
        return "".join(parts).capitalize()

    def make(self, kind: dict[str, Any], is_object: bool) -> str:
        low, high = kind["syllables"]
        for _ in range(10_000):
            pattern = self.rng.choice(kind["patterns"])
            name = pattern
            while "{name}" in name:
                name = name.replace("{name}", self.word(low, high), 1)
            if self._acceptable(name, is_object):
                self.names.add(name)
                self.haystack.append(name.lower())
                if is_object:
                    self.objects.append(name.lower())
                return name
        raise RuntimeError("could not find a fresh name; add syllables to relations.yaml")

    def _acceptable(self, name: str, is_object: bool) -> bool:
        lower = name.lower()
        if name in self.names or any(obj in lower for obj in self.objects):
            return False
        return not (is_object and any(lower in text for text in self.haystack))


def exposure_probabilities(exposure_max: int, zipf_exponent: float) -> np.ndarray:
    weights = (np.arange(exposure_max + 1) + 1.0) ** -zipf_exponent
    return weights / weights.sum()


def build_world(
    doc: dict[str, Any], settings: WorldSettings
) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """Facts (FACT_COLUMNS, one row per fact) and the object pools, deterministic for the seed."""
    relations = load_relations(doc)
    rng = random.Random(settings.seed)
    reserved = " ".join(
        [
            *doc.get("filler", []),
            *doc.get("qa_formats", []),
            *(t for r in relations.values() for t in (*r.phrasings, r.held_out, r.question)),
        ]
    )
    names = NameMaker(doc["syllables"], rng, reserved_text=reserved)
    kinds = doc["entity_kinds"]
    pools = {
        pool: [names.make(kinds[spec["kind"]], is_object=True) for _ in range(spec["size"])]
        for pool, spec in doc["pools"].items()
    }
    probabilities = exposure_probabilities(settings.exposure_max, settings.zipf_exponent)
    exposure_rng = np.random.default_rng(settings.seed)
    rows = []
    low, high = settings.qa_pool_exposure
    for relation in relations.values():
        n = settings.facts_per_relation
        pool = settings.qa_pool_per_relation
        exposures = [
            *exposure_rng.choice(len(probabilities), size=n, p=probabilities),
            *exposure_rng.integers(low, high, size=pool, endpoint=True),
        ]
        split_of = [*assign_splits(n, settings.splits, rng), *[QA_POOL] * pool]
        for i in range(n + pool):
            subject = names.make(kinds[relation.subject_kind], is_object=False)
            obj = rng.choice(pools[relation.objects])
            rows.append(
                {
                    "fact_id": stable_id("demo", relation.id, subject),
                    "relation": relation.id,
                    "subject": subject,
                    "object": obj,
                    "question": relation.ask(subject),
                    "answers": [obj],
                    "split": split_of[i],
                    "domain": relation.domain,
                    "exposure": int(exposures[i]),
                }
            )
    facts = pl.DataFrame(rows, schema_overrides={"exposure": pl.Int32}).select(FACT_COLUMNS)
    return facts, pools


def assign_splits(n: int, fractions: dict[str, float], rng: random.Random) -> list[str]:
    """`n` split labels in the given proportions (rounded, the remainder to the last), shuffled."""
    labels: list[str] = []
    names = list(fractions)
    for name in names[:-1]:
        labels += [name] * round(n * fractions[name])
    labels += [names[-1]] * (n - len(labels))
    rng.shuffle(labels)
    return labels
