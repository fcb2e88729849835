"""EntityQuestions loader: folder and zip layouts, subject recovery, unmatched counts, errors."""

import json
import shutil
import zipfile
from pathlib import Path

import polars as pl
import pytest

from sftlab.data import BadRowError, DataSourceError, EntityQuestionsSettings, load_entityquestions
from sftlab.data.entityquestions import input_files, match_subject, read_relations, template_pattern
from sftlab.data.schemas import ENTITYQUESTIONS

FIXTURES = Path(__file__).parents[1] / "fixtures" / "entityquestions"
SHIPPED = Path(__file__).parents[2] / "config" / "relations" / "entityquestions.yaml"


def settings(**overrides) -> EntityQuestionsSettings:
    return EntityQuestionsSettings(relations=str(FIXTURES / "relations.yaml"), **overrides)


def make_zip(tmp_path: Path) -> Path:
    path = tmp_path / "dataset.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted((FIXTURES / "dataset").rglob("*.json")):
            archive.write(file, f"dataset/{file.relative_to(FIXTURES / 'dataset')}")
    return path


@pytest.mark.parametrize("layout", ["folder", "dataset_folder", "zip"])
def test_layouts_give_the_same_table(tmp_path, layout):
    root = {
        "folder": FIXTURES,
        "dataset_folder": FIXTURES / "dataset",
        "zip": make_zip(tmp_path) if layout == "zip" else None,
    }[layout]
    frame, report = load_entityquestions(settings(), root)
    assert dict(frame.schema) == ENTITYQUESTIONS
    assert frame.height == 14  # 16 questions, 1 unmatched (P131 train), nothing dropped
    reference, _ = load_entityquestions(settings(), FIXTURES)
    assert frame.sort("fact_id").equals(reference.sort("fact_id"))
    assert report["rows_per_split_domain"] == {
        "dev/in": 3,
        "dev/ood": 1,
        "test/in": 3,
        "test/ood": 1,
        "train/in": 4,
        "train/ood": 2,
    }


def test_subjects_recovered_and_shared_templates_kept_apart():
    frame, _ = load_entityquestions(settings(), FIXTURES)
    subjects = dict(frame.select("question", "subject").iter_rows())
    assert (
        subjects["Which country is St. Mary's Church (Bury) located in?"]
        == "St. Mary's Church (Bury)"
    )
    assert subjects["Who is A.J. (Junior)'s child?"] == "A.J. (Junior)"
    assert subjects["Who is Henry VIII's child?"] == "Henry VIII"
    relation = dict(frame.select("subject", "relation").iter_rows())
    assert (relation["Kotwica"], relation["Battle of Hastings"]) == ("P131", "P276")
    answers = frame.filter(pl.col("subject") == "Marie Curie")["answers"].to_list()
    assert answers == [["Irène Joliot-Curie", "Ève Curie"]]


def test_unmatched_questions_counted_per_relation(caplog):
    frame, report = load_entityquestions(settings(), FIXTURES)
    assert report["unmatched_questions"] == 1
    entry = report["unmatched_per_relation"]["P131"]
    assert entry["per_split"] == {"train": 1}
    assert entry["examples"] == ["Where is the village of Ołtarzew situated?"]
    assert "Ołtarzew" not in " ".join(frame["question"].to_list())
    assert "P131.train.json: 1 of 2 questions do not match" in caplog.text


def test_domains_from_config_and_from_relations_file():
    frame, report = load_entityquestions(settings(in_domain=["P17"], ood=["P40"]), FIXTURES)
    assert report["domains"] == {"P17": "in", "P40": "ood"}
    assert sorted(frame["relation"].unique().to_list()) == ["P17", "P40"]
    _, default = load_entityquestions(settings(), FIXTURES)
    assert default["domains"] == {"P17": "in", "P131": "in", "P276": "in", "P40": "ood"}


def test_missing_relation_file_named(tmp_path):
    root = tmp_path / "eq"
    shutil.copytree(FIXTURES / "dataset", root / "dataset")
    (root / "dataset" / "dev" / "P40.dev.json").unlink()
    with pytest.raises(DataSourceError, match=r"dataset/dev/P40\.dev\.json: missing file"):
        load_entityquestions(settings(), root)


def test_relation_without_template_is_an_error():
    with pytest.raises(ValueError, match=r"\['P999'\] have no question template"):
        load_entityquestions(settings(in_domain=["P17", "P999"], ood=[]), FIXTURES)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"answers": ["France"]}, "question"),
        ({"question": "Which country is X located in?"}, "answers"),
        ({"question": "Which country is X located in?", "answers": "France"}, "answers"),
        ({"question": "Which country is X located in?", "answers": [1]}, "answers"),
    ],
)
def test_bad_rows_error_and_drop(tmp_path, record, field):
    root = tmp_path / "eq"
    shutil.copytree(FIXTURES / "dataset", root / "dataset")
    path = root / "dataset" / "test" / "P17.test.json"
    path.write_text(json.dumps(json.loads(path.read_text()) + [record]))
    with pytest.raises(BadRowError) as caught:
        load_entityquestions(settings(), root)
    assert (caught.value.file, caught.value.row, caught.value.field) == (str(path), 2, field)
    frame, report = load_entityquestions(settings(), root, on_bad_rows="drop")
    assert frame.height == 14
    assert report["dropped"] == 1
    assert report["dropped_by_file"] == {str(path): 1}


def test_template_regex_escapes_and_tolerates_spacing():
    pattern = template_pattern("What is [X] famous for?")
    assert match_subject(pattern, "What is C++ (language) famous for?") == "C++ (language)"
    assert match_subject(pattern, "What is  Paris famous for ?") == "Paris"
    assert match_subject(pattern, "What is Paris famous for") == "Paris"
    assert match_subject(pattern, "What is famous for?") is None
    assert match_subject(template_pattern("Who is [X]'s child?"), "Who is Jo's child?") == "Jo"
    with pytest.raises(ValueError, match="exactly one"):
        template_pattern("Where was he born?")


def test_shipped_relations_file_matches_the_papers():
    relations = read_relations(SHIPPED)
    in_domain = [r.id for r in relations.values() if r.domain == "in"]
    ood = [r.id for r in relations.values() if r.domain == "ood"]
    assert in_domain == "P17 P19 P20 P36 P69 P131 P159 P276 P495 P740".split()
    assert ood == "P26 P40 P50 P106 P112 P127 P136 P170 P175 P176 P264 P407 P413 P800".split()
    assert relations["P131"].question == relations["P276"].question


def test_ids_stable_and_unique(tmp_path):
    first, _ = load_entityquestions(settings(), FIXTURES)
    second, _ = load_entityquestions(settings(), make_zip(tmp_path))
    assert first["fact_id"].to_list() == second["fact_id"].to_list()
    assert first["fact_id"].n_unique() == first.height


def test_input_files_lists_each_relation_split(tmp_path):
    files = input_files(settings(in_domain=["P17"], ood=[]), FIXTURES)
    assert files == [
        str(FIXTURES / "dataset" / s / f"P17.{s}.json") for s in ("train", "dev", "test")
    ]
    assert input_files(settings(), make_zip(tmp_path)) == [str(tmp_path / "dataset.zip")]


def test_subject_at_the_end_of_the_question_loses_the_question_mark():
    from sftlab.data.entityquestions import match_subject, template_pattern

    pattern = template_pattern("What is the capital of [X]?")
    assert match_subject(pattern, "What is the capital of Deithastan?") == "Deithastan"
    assert match_subject(pattern, "What is the capital of Deithastan ?") == "Deithastan"
    assert match_subject(pattern, "What is the capital of Saint-Pierre?") == "Saint-Pierre"
    author = template_pattern("Who is the author of [X]?")
    assert match_subject(author, "Who is the author of Why Not Me??") == "Why Not Me?"
