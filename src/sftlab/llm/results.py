"""What a run returns: one LLMResult per conversation, and the gate on the share of failures."""

from __future__ import annotations

import math
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


# Calls failing the same way, with no success yet, that mark an endpoint as down or misconfigured
# (a dead server, a wrong model name) rather than unlucky: the job stops instead of spending
# max_retries + 1 requests on each of thousands of items.
SAME_KIND_STOP = 10


class FailureGate:
    """Decides, as results arrive, that a batch can no longer pass `check_failure_rate`.

    `stopped` becomes the reason (naming the failure kind) when: an auth error arrives (every
    other call would get it too); more calls failed than `max_rate` of `total` allows; or the first
    SAME_KIND_STOP finished calls all failed with one kind.
    """

    def __init__(self, total: int, max_rate: float):
        self.total = total
        # the most failures check_failure_rate lets through (floor, robust to 0.29 * 100 = 28.99..)
        allowed = math.floor(max_rate * total)
        self.allowed = allowed + 1 if (allowed + 1) / max(total, 1) <= max_rate else allowed
        self.failed: Counter[str] = Counter()
        self.succeeded = 0
        self.stopped: str | None = None

    def record(self, result: LLMResult) -> None:
        if result.ok:
            self.succeeded += 1
            return
        kind = result.error_kind or "other"
        if kind == "cancelled" or self.stopped:
            return
        self.failed[kind] += 1
        failed = sum(self.failed.values())
        by_kind = ", ".join(f"{k}: {n}" for k, n in self.failed.most_common())
        if kind == "auth":
            self.stopped = f"stopped at the first auth failure (check the API key): {result.error}"
        elif failed > self.allowed:
            self.stopped = (
                f"stopped early: {failed} failed calls ({by_kind}) exceed the {self.allowed} that "
                f"max_failure_rate allows for {self.total} calls; last error: {result.error}"
            )
        elif self.succeeded == 0 and len(self.failed) == 1 and failed >= SAME_KIND_STOP:
            self.stopped = (
                f"stopped early: the first {failed} calls all failed ({kind}), none succeeded; "
                f"last error: {result.error}"
            )
