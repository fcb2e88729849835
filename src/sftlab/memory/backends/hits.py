"""Stop-on-hit: when a sample's hit is already decided, so generating further tokens is waste.

A sample is a hit when its normalised text contains the object or an alias
(sftlab.evaluate.match.is_hit). `decided` is the test run on a sample while it grows: it must only
say yes when every continuation of the text would still be a hit, so stopping there never changes
a hit. Containment is such a test; with `whole_words` a gold answer at the very end of the text is
not yet decided ("Vemor" may grow into "Vemorian"), so the test waits for the character after it.
Engines cannot run Python per token; they get stop strings (`stop_strings`) that end a sample on
the literal gold forms, which can only stop a sample that is already a hit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sftlab.evaluate.match import MatchSettings, normalize


class HitTest:
    """`decided(text)`: is `text` a hit that no continuation can undo, for one prompt's gold."""

    def __init__(self, gold: Sequence[str], settings: MatchSettings):
        self.settings = settings
        self.gold = [g for g in (normalize(a, settings) for a in gold) if g]

    def decided(self, text: str) -> bool:
        if not self.gold:
            return False
        pred = normalize(text, self.settings)
        if self.settings.whole_words:
            # a trailing boundary must already be there: the text goes on after the gold answer
            padded = f" {pred}"
            return any(f" {g} " in padded for g in self.gold)
        return any(g in pred for g in self.gold)


def stop_strings(gold: Sequence[str], settings: MatchSettings) -> list[str]:
    """Literal stop strings that end an engine's sample on a hit: each gold form as written, and
    (when matching ignores case) lower-cased and capitalised, the cases a model writes a name in.
    Empty with `whole_words`, where a literal match inside a longer word is not a hit.
    """
    if settings.whole_words:
        return []
    out: list[str] = []
    for answer in gold:
        forms = [answer]
        if settings.lowercase:
            forms += [answer.lower(), answer[:1].upper() + answer[1:]]
        for form in forms:
            if form.strip() and form not in out:
                out.append(form)
    return out
