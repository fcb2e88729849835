"""Data contracts, the bad-row policy, and the data section of the config schema."""

import dataclasses
from pathlib import Path

import polars as pl
import pytest

import sftlab.data
from sftlab.config import ConfigError, validate_config
from sftlab.data import raw_inputs
from sftlab.data.schemas import MMLU, RUOZHIBA, BadRowError, DropLog, assign_ids, to_frame

SCHEMA = Path(__file__).parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def test_drop_log_raises_or_counts():
    with pytest.raises(BadRowError, match=r"^f\.csv: row 7: field 'answer': out of range$"):
        DropLog("error").bad("f.csv", 7, "answer", "out of range")
    drops = DropLog("drop")
    drops.bad("f.csv", 7, "answer", "out of range")
    drops.bad("g.csv", 1, "answer", "missing")
    summary = drops.summary()
    assert summary["dropped"] == 2
    assert summary["dropped_by_field"] == {"answer": 2}
    assert summary["dropped_by_file"] == {"f.csv": 1, "g.csv": 1}
    with pytest.raises(ValueError, match="on_bad_rows"):
        DropLog("ignore")


def test_assign_ids_stable_and_unique_for_duplicates():
    rows = [
        {"question": "q", "answer": "a"},
        {"question": "q", "answer": "a"},
        {"question": "r", "answer": "a"},
    ]
    assert assign_ids(rows, "item_id", ("question", "answer")) == 1
    ids = [row["item_id"] for row in rows]
    assert len(set(ids)) == 3
    again = [{"question": "q", "answer": "a"}]
    assign_ids(again, "item_id", ("question", "answer"))
    assert again[0]["item_id"] == ids[0]


def test_to_frame_has_contract_dtypes_even_when_empty():
    assert dict(to_frame([], MMLU).schema) == MMLU
    frame = to_frame([{"item_id": "x", "question": "q", "answer": "a", "source": "s"}], RUOZHIBA)
    assert frame.columns == list(RUOZHIBA)
    assert frame.schema["question"] == pl.String


def config_with(data: dict) -> dict:
    return {"data": data}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mmlu": {"sourc": "hub"}}, "unknown key 'data.mmlu.sourc'"),
        ({"mmlu": {"source": "web"}}, "data.mmlu.source: expected one of 'demo', 'hub', 'path'"),
        ({"mmlu": {"source": "path"}}, "data.mmlu: 'path' is a required property"),
        ({"mmlu": {"splits": ["train"]}}, "data.mmlu.splits[0]: expected one of"),
        ({"entityquestions": {"source": "hub"}}, "data.entityquestions.source: expected one of"),
        ({"entityquestions": {"ood": "P26"}}, "data.entityquestions.ood: expected"),
        ({"ruozhiba": {"source": "path", "path": None}}, "data.ruozhiba.path: expected string"),
        ({"on_bad_rows": "skip"}, "data.on_bad_rows: expected one of 'error', 'drop'"),
    ],
)
def test_bad_data_config_is_rejected_naming_the_key(data, message):
    with pytest.raises(ConfigError) as caught:
        validate_config(config_with(data), SCHEMA)
    assert message in str(caught.value)


def test_data_defaults_are_filled():
    config = validate_config(config_with({}), SCHEMA)
    data = config["data"]
    assert data["on_bad_rows"] == "error"
    assert data["mmlu"]["hub_id"] == "cais/mmlu" and data["mmlu"]["splits"] == [
        "test",
        "validation",
        "dev",
    ]
    assert data["entityquestions"]["relations"] == "config/relations/entityquestions.yaml"
    assert data["ruozhiba"]["config"] == "ruozhiba"


def test_raw_inputs_per_source():
    fixtures = Path(__file__).parents[1] / "fixtures"
    assert raw_inputs("mmlu", {"source": "hub"}, "results/demo/raw/mmlu") == {}
    assert raw_inputs("mmlu", {"source": "demo"}, "results/demo/raw/mmlu") == {
        "raw": "results/demo/raw/mmlu"
    }
    local = raw_inputs("mmlu", {"source": "path", "path": str(fixtures / "mmlu_csv")}, "-")
    assert str(fixtures / "mmlu_csv/data/test/global_facts_test.csv") in local["files"]
    assert len(local["files"]) == 6  # test, validation, dev x 2 subjects
    with pytest.raises(ValueError, match="data.ruozhiba.path: required"):
        raw_inputs("ruozhiba", {"source": "path", "path": None}, "-")


@pytest.mark.parametrize(
    ("section", "settings_class"),
    [
        ("mmlu", "MmluSettings"),
        ("entityquestions", "EntityQuestionsSettings"),
        ("ruozhiba", "RuozhibaSettings"),
    ],
)
def test_settings_fields_are_the_schema_keys(section, settings_class):
    """YAML keys and settings fields are identical: `Settings(**config['data'][section])` works."""
    config = validate_config(config_with({}), SCHEMA)
    fields = {f.name for f in dataclasses.fields(getattr(sftlab.data, settings_class))}
    assert fields == set(config["data"][section])
