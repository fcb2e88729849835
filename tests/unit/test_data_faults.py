"""Hostile input files: bytes that are not UTF-8, blank or invisible fields, huge zip members."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from sftlab.data import (
    BadRowError,
    DataSourceError,
    EntityQuestionsSettings,
    MmluSettings,
    entityquestions,
    load_entityquestions,
    load_mmlu,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
EQ = FIXTURES / "entityquestions"


def mmlu_copy(root: Path, extra: bytes) -> Path:
    """The CSV fixture with `extra` appended to one subject's test file (2 good rows before it)."""
    shutil.copytree(FIXTURES / "mmlu_csv", root)
    path = root / "data" / "test" / "global_facts_test.csv"
    path.write_bytes(path.read_bytes() + extra)
    return path


def test_a_byte_that_is_not_utf8_in_an_mmlu_csv_is_a_bad_row(tmp_path):
    path = mmlu_copy(tmp_path / "mmlu", b'"Caf\xe9 au lait?",a,b,c,d,A\n"Fine?",a,b,c,d,B\n')
    settings = MmluSettings(source="path", splits=["test"])
    with pytest.raises(BadRowError) as caught:
        load_mmlu(settings, tmp_path / "mmlu")
    assert (caught.value.file, caught.value.row, caught.value.field) == (str(path), 3, "question")
    assert "not UTF-8" in str(caught.value)
    frame, report = load_mmlu(settings, tmp_path / "mmlu", on_bad_rows="drop")
    assert report["dropped"] == 1 and report["dropped_by_file"] == {str(path): 1}
    assert "Fine?" in frame["question"].to_list()


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ('"Empty choice?",a,,c,d,A\n', "choices", "item 2: empty string"),
        ('"Blank choice?",a,b,"   ",d,A\n', "choices", "item 3: blank"),
        ('"\u200b\u00a0",a,b,c,d,A\n', "question", "blank"),  # zero-width and no-break spaces
    ],
)
def test_blank_questions_and_choices_are_bad_rows(tmp_path, line, field, reason):
    path = mmlu_copy(tmp_path / "mmlu", line.encode("utf-8"))
    with pytest.raises(BadRowError, match=reason) as caught:
        load_mmlu(MmluSettings(source="path", splits=["test"]), tmp_path / "mmlu")
    assert (caught.value.file, caught.value.row, caught.value.field) == (str(path), 3, field)


def eq_zip(tmp_path: Path, replace: dict[str, bytes]) -> Path:
    """The EntityQuestions fixture as a release zip, with some members' bytes replaced."""
    path = tmp_path / "dataset.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted((EQ / "dataset").rglob("*.json")):
            name = f"dataset/{file.relative_to(EQ / 'dataset')}"
            archive.writestr(name, replace.get(name, file.read_bytes()))
    return path


def eq_settings() -> EntityQuestionsSettings:
    return EntityQuestionsSettings(relations=str(EQ / "relations.yaml"))


def test_a_byte_that_is_not_utf8_in_entityquestions_names_file_and_line(tmp_path, caplog):
    records = json.loads((EQ / "dataset" / "train" / "P17.train.json").read_text())
    text = json.dumps(records, indent=1).encode().replace(b"Painblanc", b"Painbl\xe2nc")
    root = eq_zip(tmp_path, {"dataset/train/P17.train.json": text})
    with pytest.raises(BadRowError, match="not UTF-8") as caught:
        load_entityquestions(eq_settings(), root)
    assert caught.value.file == f"{root}:dataset/train/P17.train.json"
    assert caught.value.row == 1 and caught.value.field == "question"
    assert "P17.train.json: line 3: bytes that are not UTF-8" in caplog.text
    frame, report = load_entityquestions(eq_settings(), root, on_bad_rows="drop")
    assert report["dropped"] == 1 and frame.height == 13  # 14 facts less the undecodable one


def test_an_oversized_zip_member_is_refused_by_name(tmp_path, monkeypatch):
    padding = b" " * (2 << 20)  # 2 MiB of spaces: valid JSON, compresses to a few KB
    text = b"[" + padding + (EQ / "dataset" / "train" / "P17.train.json").read_bytes()[1:]
    root = eq_zip(tmp_path, {"dataset/train/P17.train.json": text})
    monkeypatch.setattr(entityquestions, "MAX_MEMBER_BYTES", 1 << 20)
    with pytest.raises(DataSourceError, match=r"dataset/train/P17.train.json: \d+ bytes unpacked"):
        load_entityquestions(eq_settings(), root)
