"""MMLU (cais/mmlu) to the normalised table.

Columns: item_id, subject, category, question, choices, answer, split. Sources, all normalised by
the same row functions:
- hub: `datasets.load_dataset(hub_id, config, split=...)` for test / validation / dev, and the
  `auxiliary_train` config's `train` split (rows nested under a `train` field in some revisions);
- a local copy in the hub's parquet layout (`all/test-00000-of-00001.parquet`,
  `auxiliary_train/train-*.parquet`) or the original CSV release
  (`data/{dev,val,test}/{subject}_{split}.csv`, `data/auxiliary_train/*.csv`, no header:
  question, A, B, C, D, answer letter); the layout is detected.
Split names are normalised (val -> validation). auxiliary_train rows have no subject in the source;
they get subject `auxiliary_train` and category `auxiliary`. Every other subject must have a
category (the canonical 57 plus `categories` from the config): an unknown subject is an error
naming it.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sftlab.data import schemas, sources
from sftlab.data.mmlu_subjects import (
    AUXILIARY_CATEGORY,
    AUXILIARY_SUBJECT,
    SUBJECT_CATEGORIES,
    canonical_category,
)

log = logging.getLogger(__name__)

SPLITS = ("test", "validation", "dev", "auxiliary_train")
SPLIT_ALIASES = {"val": "validation"}
CSV_FOLDERS = {
    "test": "test",
    "validation": "val",
    "dev": "dev",
    "auxiliary_train": "auxiliary_train",
}
LETTERS = "ABCD"


@dataclass
class MmluSettings:
    """The `data.mmlu` config section (keys documented in workflow/schemas/data.schema.yaml)."""

    source: str = "hub"
    hub_id: str = "cais/mmlu"
    config: str = "all"
    auxiliary_config: str = "auxiliary_train"
    revision: str | None = None
    path: str | None = None
    splits: list[str] = field(default_factory=lambda: ["test", "validation", "dev"])
    categories: dict[str, str] = field(default_factory=dict)

    def split_names(self) -> list[str]:
        names = [SPLIT_ALIASES.get(s, s) for s in self.splits]
        for name in names:
            if name not in SPLITS:
                raise ValueError(f"data.mmlu.splits: unknown split {name!r} (known: {SPLITS})")
        return list(dict.fromkeys(names))


def normalise_record(
    record: dict[str, Any], *, split: str, subject: str | None, where: str, row: int, drops
) -> dict[str, Any] | None:
    """One hub-shaped record (flat, or nested under `train`) to a contract row; None if dropped."""
    if "question" not in record and isinstance(record.get("train"), dict):
        record = record["train"]
    if split == "auxiliary_train":
        subject = AUXILIARY_SUBJECT
    elif subject is None:
        try:
            subject = schemas.require_str(record, "subject")
        except (KeyError, TypeError, ValueError) as err:
            return drops.bad(where, row, "subject", _reason(err))
    try:
        question = schemas.require_str(record, "question")
    except (KeyError, TypeError, ValueError) as err:
        return drops.bad(where, row, "question", _reason(err))
    try:
        choices = schemas.require_str_list(record, "choices", length=4)
    except (KeyError, TypeError, ValueError) as err:
        return drops.bad(where, row, "choices", _reason(err))
    answer = record.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int):
        return drops.bad(where, row, "answer", f"expected an integer 0-3, got {answer!r}")
    if not 0 <= answer <= 3:
        return drops.bad(where, row, "answer", f"out of range 0-3: {answer}")
    return {"subject": subject, "question": question, "choices": choices, "answer": answer}


def _reason(err: Exception) -> str:
    return err.args[0] if err.args else type(err).__name__


def normalise_records(
    records: Iterable[dict[str, Any]], *, split: str, where: str, drops, subject: str | None = None
) -> list[dict[str, Any]]:
    rows = []
    for number, record in enumerate(records, start=1):
        row = normalise_record(
            record, split=split, subject=subject, where=where, row=number, drops=drops
        )
        if row is not None:
            rows.append({**row, "split": split})
    return rows


def csv_records(path: Path, drops) -> Iterable[dict[str, Any]]:
    """Original-release CSV rows as hub-shaped records (answer letter -> index)."""
    # surrogateescape: a byte that is not UTF-8 becomes a bad row (schemas.check_text), not a crash
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle), start=1):
            if len(cells) != 6:
                drops.bad(
                    path,
                    number,
                    "choices",
                    f"expected 6 columns (question, A, B, C, D, answer), got {len(cells)}",
                )
                continue
            letter = cells[5].strip()
            if letter not in LETTERS:
                drops.bad(path, number, "answer", f"expected a letter A-D, got {cells[5]!r}")
                continue
            yield (
                number,
                {"question": cells[0], "choices": cells[1:5], "answer": LETTERS.index(letter)},
            )


def detect_layout(root: Path) -> tuple[str, Path]:
    """('parquet' | 'csv', base folder) of a local MMLU copy."""
    if not root.is_dir():
        raise schemas.DataSourceError(f"{root}: MMLU folder not found")
    for base in (root / "data", root):
        if any((base / folder).is_dir() for folder in ("test", "val", "dev")):
            return "csv", base
    if any(root.rglob("*.parquet")):
        return "parquet", root
    raise schemas.DataSourceError(
        f"{root}: neither the hub parquet layout (all/test-*.parquet) nor the CSV release "
        "(data/test/{subject}_test.csv) was found"
    )


def local_files(settings: MmluSettings, root: Path) -> dict[str, list[Path]]:
    """The files a local copy provides per split; a missing split is an error naming the place."""
    layout, base = detect_layout(root)
    found = {}
    for split in settings.split_names():
        if layout == "csv":
            folder = base / CSV_FOLDERS[split]
            files = sorted(folder.glob("*.csv"))
        else:
            aux = split == "auxiliary_train"
            folder = base / (settings.auxiliary_config if aux else settings.config)
            files = sorted(folder.glob(f"{'train' if aux else split}-*.parquet"))
        if not files:
            raise schemas.DataSourceError(f"{folder}: no files for MMLU split {split!r}")
        found[split] = files
    return found


def input_files(settings: MmluSettings, root: str | Path) -> list[str]:
    """Every file the loader will read, for Snakemake to watch (the root if it is unreadable)."""
    try:
        return [str(p) for files in local_files(settings, Path(root)).values() for p in files]
    except schemas.DataSourceError:
        return [str(root)]


def csv_subject(path: Path, split: str) -> str | None:
    if split == "auxiliary_train":
        return None
    suffix = f"_{CSV_FOLDERS[split]}"
    if not path.stem.endswith(suffix):
        raise schemas.DataSourceError(f"{path}: expected a file named {{subject}}{suffix}.csv")
    return path.stem.removesuffix(suffix)


def load_local(settings: MmluSettings, root: Path, drops) -> list[dict[str, Any]]:
    layout, _ = detect_layout(root)
    rows = []
    for split, files in local_files(settings, root).items():
        for path in files:
            if layout == "csv":
                subject = csv_subject(path, split)
                for number, record in csv_records(path, drops):
                    row = normalise_record(
                        record,
                        split=split,
                        subject=subject,
                        where=str(path),
                        row=number,
                        drops=drops,
                    )
                    if row is not None:
                        rows.append({**row, "split": split})
            else:
                records = sources.read_parquet_records(path)
                rows += normalise_records(records, split=split, where=str(path), drops=drops)
    return rows


def load_hub(
    settings: MmluSettings, drops, fetch: Callable[..., Iterable[dict]] = sources.hub_dataset
) -> list[dict[str, Any]]:
    rows = []
    for split in settings.split_names():
        config, hub_split = (
            (settings.auxiliary_config, "train")
            if split == "auxiliary_train"
            else (settings.config, split)
        )
        dataset = fetch(settings.hub_id, config, hub_split, settings.revision)
        where = sources.hub_label(settings.hub_id, config, hub_split, settings.revision)
        rows += normalise_records(dataset, split=split, where=where, drops=drops)
    return rows


def add_categories(rows: list[dict[str, Any]], extra: dict[str, str]) -> None:
    mapping = dict(SUBJECT_CATEGORIES)
    for subject, category in extra.items():
        try:
            mapping[subject] = canonical_category(category)
        except ValueError as err:
            raise ValueError(f"data.mmlu.categories.{subject}: {err}") from None
    mapping[AUXILIARY_SUBJECT] = AUXILIARY_CATEGORY
    unknown = sorted({row["subject"] for row in rows} - set(mapping))
    if unknown:
        raise ValueError(
            f"MMLU subject(s) without a category: {', '.join(unknown)}; "
            "add them to data.mmlu.categories (subject: category)"
        )
    for row in rows:
        row["category"] = mapping[row["subject"]]


def build_table(rows: list[dict[str, Any]], extra_categories: dict[str, str]):
    """Categories, stable ids and the contract frame; returns (frame, duplicate count)."""
    add_categories(rows, extra_categories)
    duplicates = schemas.assign_ids(
        rows, "item_id", ("split", "subject", "question", "choices", "answer")
    )
    return schemas.to_frame(rows, schemas.MMLU), duplicates


def load_mmlu(
    settings: MmluSettings, root: str | Path | None = None, on_bad_rows: str = "error"
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The normalised MMLU table and its report (counts per split, category and subject)."""
    drops = schemas.DropLog(on_bad_rows)
    if settings.source == "hub":
        rows = load_hub(settings, drops)
    else:
        if root is None:
            raise ValueError(f"data.mmlu: source {settings.source!r} needs a local folder")
        rows = load_local(settings, Path(root), drops)
    frame, duplicates = build_table(rows, settings.categories)
    drops.log_summary("mmlu")
    log.info("mmlu: %d items, %s", frame.height, dict(Counter(frame["split"].to_list())))
    report = {
        "dataset": "mmlu",
        "source": settings.source,
        "location": str(root) if root is not None else settings.hub_id,
        "revision": settings.revision,
        "rows": frame.height,
        "rows_per_split": schemas.count_by(frame, ["split"]),
        "rows_per_split_category": schemas.count_by(frame, ["split", "category"]),
        "rows_per_split_subject": schemas.count_by(frame, ["split", "subject"]),
        "duplicate_items": duplicates,
        **drops.summary(),
    }
    return frame, report
