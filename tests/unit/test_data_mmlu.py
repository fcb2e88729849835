"""MMLU loader: hub parquet layout (flat and nested auxiliary_train), original CSVs, hub rows."""

import shutil
from pathlib import Path

import datasets
import polars as pl
import pytest

from sftlab.data import BadRowError, DataSourceError, MmluSettings, load_mmlu
from sftlab.data import mmlu as mmlu_module
from sftlab.data.mmlu_subjects import SUBJECT_CATEGORIES, canonical_category
from sftlab.data.schemas import MMLU, DropLog

FIXTURES = Path(__file__).parents[1] / "fixtures"

HUB_ALL = {
    "test": [
        ("Find the degree of Q(sqrt(2)) over Q.", "abstract_algebra", ["0", "2", "4", "6"], 1),
        ("How many continents are there?", "global_facts", ["5", "6", "7", "8"], 2),
        ("Which is a noble gas?", "high_school_chemistry", ["O", "N", "Ar", "H"], 2),
    ],
    "validation": [("Is Z_5 a field?", "abstract_algebra", ["yes", "no", "maybe", "never"], 0)],
    "dev": [("What is 1+1?", "elementary_mathematics", ["1", "2", "3", "4"], 1)],
}
AUX = [("Which planet is largest?", ["Mars", "Jupiter", "Venus", "Earth"], 1)]


def write_hub_layout(root: Path, nested_aux: bool) -> Path:
    """cais/mmlu as its parquet files: all/{split}-00000-of-00001.parquet, auxiliary_train/."""
    (root / "all").mkdir(parents=True)
    for split, items in HUB_ALL.items():
        frame = pl.DataFrame(
            [
                dict(zip(("question", "subject", "choices", "answer"), item, strict=True))
                for item in items
            ]
        )
        frame.write_parquet(root / "all" / f"{split}-00000-of-00001.parquet")
    (root / "auxiliary_train").mkdir()
    flat = [{"question": q, "subject": "", "choices": c, "answer": a} for q, c, a in AUX]
    rows = [{"train": row} for row in flat] if nested_aux else flat
    pl.DataFrame(rows).write_parquet(root / "auxiliary_train" / "train-00000-of-00001.parquet")
    return root


@pytest.mark.parametrize("nested_aux", [False, True])
def test_hub_parquet_layout(tmp_path, nested_aux):
    root = write_hub_layout(tmp_path / "mmlu", nested_aux)
    settings = MmluSettings(source="path", splits=["test", "val", "dev", "auxiliary_train"])
    frame, report = load_mmlu(settings, root)
    assert dict(frame.schema) == MMLU
    assert report["rows_per_split"] == {"auxiliary_train": 1, "dev": 1, "test": 3, "validation": 1}
    aux = frame.filter(pl.col("split") == "auxiliary_train").row(0, named=True)
    assert aux["question"] == "Which planet is largest?"
    assert aux["choices"] == ["Mars", "Jupiter", "Venus", "Earth"]
    assert (aux["subject"], aux["category"], aux["answer"]) == ("auxiliary_train", "auxiliary", 1)
    categories = dict(frame.select("subject", "category").unique().iter_rows())
    assert categories["abstract_algebra"] == "STEM"
    assert categories["global_facts"] == "other"


def test_original_csv_layout():
    settings = MmluSettings(source="path", splits=["test", "val", "dev", "auxiliary_train"])
    frame, report = load_mmlu(settings, FIXTURES / "mmlu_csv")
    assert report["rows_per_split"] == {"auxiliary_train": 1, "dev": 2, "test": 4, "validation": 2}
    quoted = frame.filter(pl.col("question").str.contains("quotes")).row(0, named=True)
    assert (
        quoted["question"]
        == 'Which of the following statements, with "quotes" and a comma, is true?'
    )
    assert quoted["choices"] == ["Yes", "No", "Maybe, perhaps", "Never"]
    assert (quoted["answer"], quoted["subject"], quoted["split"]) == (3, "global_facts", "test")
    assert report["rows_per_split_category"]["test/STEM"] == 2


def test_hub_rows_through_datasets(tmp_path):
    """Rows as `datasets` yields them from the hub's parquet files, through the hub loader."""
    root = write_hub_layout(tmp_path / "mmlu", nested_aux=True)

    def fetch(hub_id, config, split, revision):
        files = sorted((root / config).glob(f"{split}-*.parquet"))
        return datasets.load_dataset(
            "parquet",
            data_files=[str(f) for f in files],
            split="train",
            cache_dir=str(tmp_path / "hf"),
        )

    settings = MmluSettings(source="hub", splits=["test", "auxiliary_train"], revision="abc123")
    drops = DropLog("error")
    rows = mmlu_module.load_hub(settings, drops, fetch=fetch)
    frame, _ = mmlu_module.build_table(rows, {})
    local, _ = load_mmlu(MmluSettings(source="path", splits=["test", "auxiliary_train"]), root)
    assert frame.sort("item_id").equals(local.sort("item_id"))


def test_failed_hub_load_names_dataset_and_suggests_path(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(
        DataSourceError, match=r"cais/mmlu \(config 'all'\) split 'test'.*source: path"
    ):
        load_mmlu(MmluSettings(source="hub", splits=["test"]))


def write_csv(root: Path, text: str) -> Path:
    shutil.copytree(FIXTURES / "mmlu_csv", root)
    path = root / "data" / "test" / "global_facts_test.csv"
    path.write_text(path.read_text() + text)
    return path


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('"Too few choices?",a,b,c,A\n', "choices"),
        ('"Answer out of range?",a,b,c,d,E\n', "answer"),
        ('"",a,b,c,d,A\n', "question"),
    ],
)
def test_bad_csv_row_names_file_row_field(tmp_path, line, field):
    path = write_csv(tmp_path / "mmlu", line)
    with pytest.raises(BadRowError) as caught:
        load_mmlu(MmluSettings(source="path", splits=["test"]), tmp_path / "mmlu")
    assert (caught.value.file, caught.value.row, caught.value.field) == (str(path), 3, field)
    assert f"{path}: row 3: field '{field}'" in str(caught.value)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (
            {"question": "q", "subject": "anatomy", "choices": ["a", "b", "c", "d"], "answer": 4},
            "answer",
        ),
        (
            {"question": "q", "subject": "anatomy", "choices": ["a", "b", "c"], "answer": 0},
            "choices",
        ),
        ({"question": "q", "subject": "anatomy", "choices": ["a", "b", "c", "d"]}, "answer"),
        ({"subject": "anatomy", "choices": ["a", "b", "c", "d"], "answer": 0}, "question"),
        ({"question": "q", "choices": ["a", "b", "c", "d"], "answer": 0}, "subject"),
    ],
)
def test_bad_hub_record(record, field):
    with pytest.raises(BadRowError, match=f"hub:x\\[test\\]: row 2: field '{field}'"):
        mmlu_module.normalise_records(
            [
                {"question": "ok", "subject": "anatomy", "choices": list("abcd"), "answer": 0},
                record,
            ],
            split="test",
            where="hub:x[test]",
            drops=DropLog("error"),
        )


def test_drop_mode_counts(tmp_path):
    write_csv(tmp_path / "mmlu", '"Too few?",a,b,c,A\n"Bad letter?",a,b,c,d,Z\n"Fine?",a,b,c,d,A\n')
    frame, report = load_mmlu(
        MmluSettings(source="path", splits=["test"]), tmp_path / "mmlu", on_bad_rows="drop"
    )
    assert frame.height == 5
    assert report["dropped"] == 2
    assert report["dropped_by_field"] == {"answer": 1, "choices": 1}
    assert report["dropped_examples"][0]["row"] == 3


def test_unknown_subject_is_an_error_and_config_categories_extend(tmp_path):
    root = tmp_path / "mmlu"
    (root / "data" / "test").mkdir(parents=True)
    (root / "data" / "test" / "world_capitals_test.csv").write_text("Capital of X?,a,b,c,d,A\n")
    with pytest.raises(ValueError, match="world_capitals.*data.mmlu.categories"):
        load_mmlu(MmluSettings(source="path", splits=["test"]), root)
    settings = MmluSettings(
        source="path", splits=["test"], categories={"world_capitals": "social_sciences"}
    )
    frame, _ = load_mmlu(settings, root)
    assert frame["category"].to_list() == ["social sciences"]


def test_ids_are_stable_content_hashes():
    settings = MmluSettings(source="path", splits=["test", "dev"])
    first, _ = load_mmlu(settings, FIXTURES / "mmlu_csv")
    second, _ = load_mmlu(settings, FIXTURES / "mmlu_csv")
    assert first["item_id"].to_list() == second["item_id"].to_list()
    assert first["item_id"].n_unique() == first.height


def test_missing_split_names_the_folder(tmp_path):
    root = tmp_path / "mmlu"
    (root / "data" / "test").mkdir(parents=True)
    (root / "data" / "test" / "anatomy_test.csv").write_text("q,a,b,c,d,A\n")
    with pytest.raises(DataSourceError, match="data/dev: no files for MMLU split 'dev'"):
        load_mmlu(MmluSettings(source="path", splits=["test", "dev"]), root)


def test_canonical_subjects_and_categories():
    assert len(SUBJECT_CATEGORIES) == 57
    counts = {
        c: list(SUBJECT_CATEGORIES.values()).count(c) for c in set(SUBJECT_CATEGORIES.values())
    }
    assert counts == {"STEM": 19, "humanities": 13, "social sciences": 12, "other": 13}
    assert canonical_category("stem") == "STEM"
    with pytest.raises(ValueError, match="unknown MMLU category 'science'"):
        canonical_category("science")
