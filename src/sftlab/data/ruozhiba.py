"""Ruozhiba "silly" questions to the normalised table: item_id, question, answer, source.

Sources: the hub (`m-a-p/COIG-CQIA` config `ruozhiba`: instruction, input, output, ...; or
`LooksJuicy/ruozhiba`: instruction, output), or a local JSON list / JSON Lines file with the same
fields (the demo writes one). The question is the instruction, followed by the input on a new line
when the input is not empty; the answer is the output.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from sftlab.data import schemas, sources

log = logging.getLogger(__name__)


@dataclass
class RuozhibaSettings:
    """The `data.ruozhiba` config section (keys documented in data.schema.yaml)."""

    source: str = "hub"
    hub_id: str = "m-a-p/COIG-CQIA"
    config: str | None = "ruozhiba"
    revision: str | None = None
    split: str = "train"
    path: str | None = None


def normalise_record(record: Any, *, where: str, row: int, drops) -> dict[str, str] | None:
    if not isinstance(record, dict):
        return drops.bad(
            where, row, "instruction", f"expected an object, got {type(record).__name__}"
        )
    values = {}
    for name, allow_empty in (("instruction", False), ("input", True), ("output", False)):
        if name == "input" and record.get("input") is None:
            values[name] = ""
            continue
        try:
            values[name] = schemas.require_str(record, name, allow_empty=allow_empty)
        except (KeyError, TypeError, ValueError) as err:
            return drops.bad(where, row, name, str(err.args[0]))
    question = values["instruction"].strip()
    if values["input"].strip():
        question += "\n" + values["input"].strip()
    return {"question": question, "answer": values["output"].strip()}


def normalise_records(
    records: Iterable[Any], *, where: str, source: str, drops
) -> list[dict[str, str]]:
    rows = []
    for number, record in enumerate(records, start=1):
        row = normalise_record(record, where=where, row=number, drops=drops)
        if row is not None:
            rows.append({**row, "source": source})
    return rows


def source_label(settings: RuozhibaSettings, path: str | Path | None) -> str:
    if settings.source == "hub":
        return settings.hub_id + (f"/{settings.config}" if settings.config else "")
    return settings.source if settings.source == "demo" else Path(path).name


def load_ruozhiba(
    settings: RuozhibaSettings,
    path: str | Path | None = None,
    on_bad_rows: str = "error",
    fetch: Callable[..., Iterable[dict]] = sources.hub_dataset,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The normalised table and its report."""
    drops = schemas.DropLog(on_bad_rows)
    label = source_label(settings, path)
    if settings.source == "hub":
        records = fetch(settings.hub_id, settings.config, settings.split, settings.revision)
        where = sources.hub_label(
            settings.hub_id, settings.config, settings.split, settings.revision
        )
    else:
        if path is None:
            raise ValueError(f"data.ruozhiba: source {settings.source!r} needs a local file")
        records, where = sources.read_json_records(Path(path)), str(path)
    rows = normalise_records(records, where=where, source=label, drops=drops)
    duplicates = schemas.assign_ids(rows, "item_id", ("question", "answer"))
    frame = schemas.to_frame(rows, schemas.RUOZHIBA)
    drops.log_summary("ruozhiba")
    log.info("ruozhiba: %d questions from %s", frame.height, label)
    report = {
        "dataset": "ruozhiba",
        "source": settings.source,
        "location": str(path) if path is not None else label,
        "revision": settings.revision,
        "rows": frame.height,
        "rows_per_source": schemas.count_by(frame, ["source"]),
        "duplicate_items": duplicates,
        **drops.summary(),
    }
    return frame, report
