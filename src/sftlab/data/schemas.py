"""The normalised data contracts (polars schemas) and the bad-row policy shared by every loader.

A loader turns raw records into rows of one contract. A record that breaks the contract is never
lost silently: with `on_bad_rows: error` the first one stops the job with a `BadRowError` naming the
file, the row (1-based record number in that file) and the field; with `drop` it is dropped and
counted in a `DropLog`, whose summary goes to the log and to the `<name>.report.json` sidecar.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

import polars as pl

from sftlab.io import stable_id

log = logging.getLogger(__name__)

MMLU = {
    "item_id": pl.String,
    "subject": pl.String,
    "category": pl.String,
    "question": pl.String,
    "choices": pl.List(pl.String),
    "answer": pl.Int64,
    "split": pl.String,
}
ENTITYQUESTIONS = {
    "fact_id": pl.String,
    "relation": pl.String,
    "subject": pl.String,
    "question": pl.String,
    "answers": pl.List(pl.String),
    "split": pl.String,
    "domain": pl.String,
}
RUOZHIBA = {
    "item_id": pl.String,
    "question": pl.String,
    "answer": pl.String,
    "source": pl.String,
}
ON_BAD_ROWS = ("error", "drop")
EXAMPLES_KEPT = 20  # dropped rows quoted in the sidecar; the counts cover all of them


class DataSourceError(RuntimeError):
    """A data source cannot be read at all (missing file, failed hub download, unknown layout)."""


class BadRowError(ValueError):
    """One raw record breaks the contract; the message names file, row and field."""

    def __init__(self, file: str, row: int, field: str, reason: str):
        self.file, self.row, self.field, self.reason = str(file), row, field, reason
        super().__init__(f"{file}: row {row}: field '{field}': {reason}")


class DropLog:
    """Applies `on_bad_rows`: raise on the first bad row, or count and remember the dropped ones."""

    def __init__(self, on_bad_rows: str = "error"):
        if on_bad_rows not in ON_BAD_ROWS:
            raise ValueError(f"on_bad_rows: expected one of {ON_BAD_ROWS}, got {on_bad_rows!r}")
        self.mode = on_bad_rows
        self.by_file: Counter[str] = Counter()
        self.by_field: Counter[str] = Counter()
        self.examples: list[dict[str, Any]] = []

    def bad(self, file: str, row: int, field: str, reason: str) -> None:
        error = BadRowError(file, row, field, reason)
        if self.mode == "error":
            raise error
        self.by_file[error.file] += 1
        self.by_field[field] += 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append({"file": error.file, "row": row, "field": field, "reason": reason})

    @property
    def count(self) -> int:
        return sum(self.by_file.values())

    def summary(self) -> dict[str, Any]:
        return {
            "on_bad_rows": self.mode,
            "dropped": self.count,
            "dropped_by_field": dict(sorted(self.by_field.items())),
            "dropped_by_file": dict(sorted(self.by_file.items())),
            "dropped_examples": self.examples,
        }

    def log_summary(self, name: str) -> None:
        if self.count:
            fields = ", ".join(f"{k}: {v}" for k, v in sorted(self.by_field.items()))
            log.warning("%s: dropped %d bad row(s) (%s)", name, self.count, fields)
        else:
            log.info("%s: no bad rows", name)


def check_text(value: str, *, allow_empty: bool = False) -> None:
    """Raise ValueError for undecodable bytes, or (unless allowed) text with nothing visible."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):  # surrogateescape of a non-UTF-8 byte
        raise ValueError("bytes that are not UTF-8")
    if not allow_empty and not visible(value):
        raise ValueError(
            "empty string" if not value else "blank (only whitespace or invisible characters)"
        )


def visible(value: str) -> bool:
    """Whether a reader would see anything: not only spaces, controls or zero-width characters."""
    return any(
        not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs") for ch in value
    )


def require_str(record: dict, field: str, *, allow_empty: bool = False) -> str:
    """The string value of `field`; raises KeyError/TypeError/ValueError describing the problem."""
    if field not in record or record[field] is None:
        raise KeyError("missing")
    value = record[field]
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    check_text(value, allow_empty=allow_empty)
    return value


def require_str_list(record: dict, field: str, *, length: int | None = None) -> list[str]:
    if field not in record or record[field] is None:
        raise KeyError("missing")
    value = record[field]
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"expected a list of strings, got {type(value).__name__}")
    items = list(value)
    if length is not None and len(items) != length:
        raise ValueError(f"expected {length} items, got {len(items)}")
    if not items:
        raise ValueError("empty list")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, str):
            raise TypeError(f"expected strings, got an item of type {type(item).__name__}")
        try:
            check_text(item)
        except ValueError as err:
            raise ValueError(f"item {number}: {err}") from None
    return items


def assign_ids(rows: list[dict[str, Any]], id_field: str, key_fields: tuple[str, ...]) -> int:
    """Give each row a content hash of `key_fields`; exact duplicates get an occurrence suffix.

    The n-th repeat (n >= 1) of identical content hashes (content, n), so ids stay unique, and
    stable as long as the source keeps its order. Returns the number of duplicate rows.
    """
    seen: Counter[str] = Counter()
    for row in rows:
        base = stable_id(*(row[k] for k in key_fields))
        n = seen[base]
        seen[base] += 1
        row[id_field] = base if n == 0 else stable_id(base, n)
    return sum(count - 1 for count in seen.values())


def to_frame(rows: list[dict[str, Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows to a frame with exactly the contract's columns, order and dtypes."""
    frame = pl.from_dicts(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    check_frame(frame, schema)
    return frame


def check_frame(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> None:
    """Raise if `frame` does not have the contract's columns and dtypes (used by consumers too)."""
    expected = dict(schema)
    actual = dict(frame.schema)
    if list(actual) != list(expected):
        raise ValueError(f"columns {list(actual)} differ from the contract {list(expected)}")
    for name, dtype in expected.items():
        if actual[name] != dtype:
            raise ValueError(
                f"column {name}: dtype {actual[name]} differs from the contract {dtype}"
            )


def count_by(frame: pl.DataFrame, keys: list[str]) -> dict[str, int]:
    """Row counts per combination of `keys`, as {"a/b": n} for the report sidecars."""
    grouped = frame.group_by(keys).len().sort(keys)
    return {"/".join(str(row[k]) for k in keys): row["len"] for row in grouped.to_dicts()}
