"""Near-duplicate check of training questions against the MMLU test questions.

Similarity is the Jaccard index of the sets of character n-grams of normalised text (lowercase,
letters and digits only, single spaces). Comparing every training item with every test question is
14k x 100k pairs at paper scale, so candidates come from an inverted index of *rare* n-grams (those
in at most `max_df` test questions): a near-duplicate shares many rare n-grams, and common ones
("the ", "tion") only cost time. The exact Jaccard is then computed for the candidates.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def char_ngrams(text: str, n: int) -> frozenset[str]:
    text = normalise(text)
    if len(text) <= n:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i : i + n] for i in range(len(text) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass(frozen=True)
class Match:
    test_id: str
    similarity: float


class ContaminationIndex:
    """The test questions, indexed for `closest`."""

    def __init__(self, test: dict[str, str], n: int = 5, max_df: int = 50):
        self.n = n
        self.grams = {tid: char_ngrams(text, n) for tid, text in test.items()}
        df: Counter[str] = Counter(g for grams in self.grams.values() for g in grams)
        self.index: dict[str, list[str]] = defaultdict(list)
        for tid, grams in self.grams.items():
            for gram in grams:
                if df[gram] <= max_df:
                    self.index[gram].append(tid)

    def closest(self, text: str, top: int = 20) -> Match | None:
        """The most similar test question among the `top` sharing the most rare n-grams."""
        grams = char_ngrams(text, self.n)
        shared: Counter[str] = Counter(tid for g in grams for tid in self.index.get(g, ()))
        best = None
        for tid, _ in shared.most_common(top):
            score = jaccard(grams, self.grams[tid])
            if best is None or score > best.similarity:
                best = Match(tid, score)
        return best
