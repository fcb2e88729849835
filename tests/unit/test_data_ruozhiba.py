"""Ruozhiba loader: COIG-CQIA rows (hub parquet and JSONL), LooksJuicy JSON list, bad rows."""

import json
from pathlib import Path

import datasets
import polars as pl
import pytest

from sftlab.data import BadRowError, DataSourceError, RuozhibaSettings, load_ruozhiba
from sftlab.data.schemas import RUOZHIBA

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ruozhiba"


def test_coig_cqia_jsonl_joins_instruction_and_input():
    frame, report = load_ruozhiba(
        RuozhibaSettings(source="path"), FIXTURES / "coig_cqia_ruozhiba.jsonl"
    )
    assert dict(frame.schema) == RUOZHIBA
    assert frame.height == 3 and report["rows"] == 3
    assert frame["question"][1] == "爸爸再婚，我是不是就有了个新娘？\n请简短回答"
    assert frame["question"][0] == "只剩一个心脏了还能活吗？"
    assert frame["answer"][0] == "能，人本来就只有一个心脏。"
    assert frame["source"].unique().to_list() == ["coig_cqia_ruozhiba.jsonl"]


def test_looksjuicy_json_list():
    frame, _ = load_ruozhiba(RuozhibaSettings(source="path"), FIXTURES / "looksjuicy_ruozhiba.json")
    assert frame["question"].to_list() == [
        "为什么我的手机没电了，充电宝也没电了？",
        "鸡柳是鸡身上哪个部位？",
    ]


def test_hub_rows_through_datasets(tmp_path):
    """COIG-CQIA rows as the hub's parquet, read back by `datasets`, through the hub loader."""
    records = [json.loads(line) for line in (FIXTURES / "coig_cqia_ruozhiba.jsonl").open()]
    parquet = tmp_path / "ruozhiba" / "train-00000-of-00001.parquet"
    parquet.parent.mkdir()
    pl.DataFrame(records).write_parquet(parquet)
    calls = []

    def fetch(hub_id, config, split, revision):
        calls.append((hub_id, config, split, revision))
        return datasets.load_dataset(
            "parquet", data_files=str(parquet), split="train", cache_dir=str(tmp_path / "hf")
        )

    frame, report = load_ruozhiba(RuozhibaSettings(source="hub"), fetch=fetch)
    assert calls == [("m-a-p/COIG-CQIA", "ruozhiba", "train", None)]
    local, _ = load_ruozhiba(RuozhibaSettings(source="path"), FIXTURES / "coig_cqia_ruozhiba.jsonl")
    assert frame["item_id"].to_list() == local["item_id"].to_list()
    assert frame["source"].unique().to_list() == ["m-a-p/COIG-CQIA/ruozhiba"]
    assert report["location"] == "m-a-p/COIG-CQIA/ruozhiba"


def test_failed_hub_load_names_dataset(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    settings = RuozhibaSettings(source="hub", hub_id="LooksJuicy/ruozhiba", config=None)
    with pytest.raises(DataSourceError, match=r"LooksJuicy/ruozhiba split 'train'.*source: path"):
        load_ruozhiba(settings)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"output": "answer"}, "instruction"),
        ({"instruction": "question?"}, "output"),
        ({"instruction": "question?", "output": "  "}, "output"),
        ({"instruction": "question?", "input": 3, "output": "a"}, "input"),
        (["not", "an", "object"], "instruction"),
    ],
)
def test_bad_rows_error_then_drop(tmp_path, record, field):
    path = tmp_path / "ruozhiba.jsonl"
    good = {"instruction": "q?", "output": "a"}
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in (good, record, good)) + "\n"
    )
    with pytest.raises(BadRowError, match=f"ruozhiba.jsonl: row 2: field '{field}'"):
        load_ruozhiba(RuozhibaSettings(source="path"), path)
    frame, report = load_ruozhiba(RuozhibaSettings(source="path"), path, on_bad_rows="drop")
    assert frame.height == 2
    assert report["dropped"] == 1 and report["dropped_by_field"] == {field: 1}
    assert report["duplicate_items"] == 1
    assert frame["item_id"].n_unique() == 2


def test_malformed_jsonl_names_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"instruction": "q", "output": "a"}\n{oops\n')
    with pytest.raises(DataSourceError, match="bad.jsonl: line 2 is not valid JSON"):
        load_ruozhiba(RuozhibaSettings(source="path"), path)
