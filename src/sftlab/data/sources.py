"""Reading raw records: the one Hugging Face hub call, and local JSON / JSONL / parquet files."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import polars as pl

from sftlab.data.schemas import DataSourceError

log = logging.getLogger(__name__)


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text of a raw file; bytes that are not UTF-8 are kept as lone surrogates.

    The file is still read, so `on_bad_rows` decides: every string carrying such bytes fails
    `schemas.require_str` ("bytes that are not UTF-8") and is a bad row naming file, row and field.
    The first offending line is logged here, since a JSON list's row is not its line.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        log.warning(
            "%s: line %d: bytes that are not UTF-8 (%r); the rows holding them are bad rows",
            name, line, data[err.start : err.end],
        )  # fmt: skip
        return data.decode("utf-8", "surrogateescape")


def hub_dataset(hub_id: str, config: str | None, split: str, revision: str | None = None):
    """`datasets.load_dataset` for one split; a failure names the dataset, suggests `source: path`.

    Everything after this call (row normalisation) is shared with the local loaders and unit-tested
    on rows written in the hub's own parquet layout.
    """
    import datasets

    try:
        return datasets.load_dataset(hub_id, config, split=split, revision=revision)
    except Exception as err:  # offline, gated, renamed config or split: all end the same way
        what = f"{hub_id}" + (f" (config {config!r})" if config else "") + f" split {split!r}"
        raise DataSourceError(
            f"could not load {what} from the Hugging Face hub"
            f"{f' at revision {revision!r}' if revision else ''}: {type(err).__name__}: {err}. "
            "Without network access, download the files elsewhere and use `source: path`."
        ) from err


def hub_label(hub_id: str, config: str | None, split: str, revision: str | None) -> str:
    """How a hub split is named in bad-row messages, in place of a file name."""
    name = hub_id + (f"/{config}" if config else "") + (f"@{revision}" if revision else "")
    return f"hub:{name}[{split}]"


def read_parquet_records(path: Path) -> list[dict[str, Any]]:
    """Records of a parquet file as Python dicts (structs become dicts, lists become lists)."""
    try:
        return pl.read_parquet(path).to_dicts()
    except Exception as err:
        raise DataSourceError(f"{path}: not a readable parquet file ({err})") from err


def parse_json_records(text: str, name: str) -> list[Any]:
    """A JSON list, or JSON Lines (one record per line); malformed input names the file and line."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataSourceError(f"{name}: invalid JSON at line {err.lineno} ({err.msg})") from err
        return records
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise DataSourceError(f"{name}: line {number} is not valid JSON ({err.msg})") from err
    return records


def read_json_records(path: Path) -> list[Any]:
    if not path.is_file():
        raise DataSourceError(f"{path}: file not found")
    return parse_json_records(decode_text(path.read_bytes(), str(path)), str(path))
