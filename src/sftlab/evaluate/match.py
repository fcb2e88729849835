"""Short-answer matching: a hit is a normalised gold answer (or alias) inside the prediction.

The memory study (arXiv 2409.15825) counts a hit when the object string is *contained* in the
model's continuation; case and normalisation are unstated in the paper, so every step is a
documented setting, written into each evaluation's provenance.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

_WHITESPACE = re.compile(r"\s+")
# A normalised answer shorter than this is contained in ordinary text by chance ("n" in "in", "s" in
# "is"): one-letter golds reached R = 0.6 on a model that had never seen them. Alias tables enforce
# the same floor on load.
MIN_CONTAINED_CHARS = 3


@dataclass(frozen=True)
class MatchSettings:
    """How predictions and answers are normalised before the containment test.

    Steps run in this order: NFKC, lowercase, punctuation to spaces, whitespace collapse.
    """

    lowercase: bool = True  # "Paris" matches "paris"
    unicode_nfkc: bool = True  # full-width and compatibility forms fold to their plain characters
    strip_punctuation: bool = True  # Unicode category P* becomes a space: "U.S." -> "u s"
    collapse_whitespace: bool = True  # runs of whitespace become one space; ends are stripped
    whole_words: bool = False  # True: "us" must not hit "bus"; off, as the paper tests containment

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> MatchSettings:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown match setting(s) {unknown}; known: {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, bool]:
        return asdict(self)


def normalize(text: str, settings: MatchSettings = MatchSettings()) -> str:
    """Normalise `text` by the steps `settings` turns on."""
    if settings.unicode_nfkc:
        text = unicodedata.normalize("NFKC", text)
    if settings.lowercase:
        text = text.lower()
    if settings.strip_punctuation:
        text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    if settings.collapse_whitespace:
        text = _WHITESPACE.sub(" ", text).strip()
    return text


def is_hit(
    prediction: str, answers: str | Iterable[str], settings: MatchSettings = MatchSettings()
) -> bool:
    """True when any non-empty normalised answer is contained in the normalised prediction.

    With `whole_words` the test runs on space-padded strings, so a hit must start and end at a word
    boundary (meaningless for scripts written without spaces, hence off by default).
    """
    if isinstance(answers, str):
        answers = [answers]
    pred = normalize(prediction, settings)
    if settings.whole_words:
        pred = f" {pred} "
    for answer in answers:
        gold = normalize(answer, settings)
        if not gold:
            continue
        if settings.whole_words:
            gold = f" {gold} "
        if gold in pred:
            return True
    return False


def too_short(answer: str, settings: MatchSettings = MatchSettings()) -> bool:
    """True when containment would hit `answer` by chance: with `whole_words` off, its normalised
    form is shorter than MIN_CONTAINED_CHARS (an empty answer never hits, so it is not counted).
    """
    return not settings.whole_words and 0 < len(normalize(answer, settings)) < MIN_CONTAINED_CHARS
