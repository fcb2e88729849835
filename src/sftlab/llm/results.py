"""What a run returns: one LLMResult per conversation, and the gate on the share of failures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


class LLMError(RuntimeError):
    """A problem that stops a whole LLM job (missing key, too many failures)."""


@dataclass
class LLMResult:
    """The outcome for one conversation; `value` is the validated object when `ok`."""

    index: int
    key: str
    ok: bool
    value: BaseModel | None = None
    text: str | None = None
    cached: bool = False
    error_kind: str | None = None
    error: str | None = None
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None

    def record(self) -> dict[str, Any]:
        """Plain values for a failures file or a table (the value as a dict)."""
        out = {k: v for k, v in self.__dict__.items() if k != "value"}
        out["value"] = self.value.model_dump() if self.value is not None else None
        return out


def check_failure_rate(results: Sequence[LLMResult], max_rate: float) -> None:
    """Raise LLMError, with counts by kind, when more than `max_rate` of the results failed."""
    failed = [r for r in results if not r.ok]
    if results and len(failed) / len(results) > max_rate:
        kinds = Counter(r.error_kind for r in failed)
        by_kind = ", ".join(f"{kind}: {n}" for kind, n in kinds.most_common())
        raise LLMError(
            f"{len(failed)} of {len(results)} LLM calls failed "
            f"({len(failed) / len(results):.1%} > max_failure_rate {max_rate:.1%}; {by_kind})"
        )
