"""SFT sets: TRL prompt-completion JSONL (plain strings, or message lists for chat models)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasets import Dataset

from sftlab.io import iter_jsonl


class SFTDataError(ValueError):
    """An SFT set that cannot be trained on: empty, malformed, or lacking a chat template."""


def load_sft_set(path: str | Path) -> Dataset:
    """The prompt and completion columns of a JSONL SFT set; errors name the file and line."""
    path = Path(path)
    rows = []
    try:
        numbered = list(iter_jsonl(path))
    except ValueError as err:
        raise SFTDataError(str(err)) from err
    for number, row in numbered:
        if not isinstance(row, dict):
            raise SFTDataError(f"{path}: line {number} is not a JSON object")
        for field in ("prompt", "completion"):
            value = row.get(field)
            if not (isinstance(value, str) and value) and not _is_messages(value):
                raise SFTDataError(
                    f"{path}: line {number}: field '{field}' must be a non-empty string or a "
                    f"list of chat messages, got {value!r}"
                )
        rows.append({"prompt": row["prompt"], "completion": row["completion"]})
    if not rows:
        raise SFTDataError(f"{path}: the SFT set is empty")
    kinds = {isinstance(r["prompt"], list) for r in rows}
    if len(kinds) > 1:
        raise SFTDataError(f"{path}: mixes plain-text and chat-message rows")
    return Dataset.from_list(rows)


def _is_messages(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in value)
    )


def is_chat_set(dataset: Dataset) -> bool:
    return isinstance(dataset[0]["prompt"], list)
