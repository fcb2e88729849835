"""Probe templates and alias tables: the shipped files load, are complete, and reject bad
entries.
"""

import pytest
import yaml

from sftlab.memory.templates import (
    TemplateError,
    load_aliases,
    load_templates,
    render,
    template_id,
)

EQ_IN = ["P17", "P19", "P20", "P36", "P69", "P131", "P159", "P276", "P495", "P740"]
EQ_OOD = [
    "P26",
    "P40",
    "P50",
    "P106",
    "P112",
    "P127",
    "P136",
    "P170",
    "P175",
    "P176",
    "P264",
    "P407",
    "P413",
    "P800",
]


def test_entityquestions_templates_are_complete(repo):
    templates = load_templates(repo / "config/templates/entityquestions.yaml")
    assert sorted(templates.by_relation) == sorted(EQ_IN + EQ_OOD)
    assert {len(t) for t in templates.by_relation.values()} == {21}
    assert templates.version
    for relation, texts in templates.by_relation.items():
        for text in texts:
            prompt = render(text, "Painblanc")
            assert "Painblanc" in prompt and "{" not in prompt, (relation, text)
            assert not text.rstrip().endswith("."), (relation, text)  # the object comes next


def test_paper_example_templates_are_kept(repo):
    templates = load_templates(repo / "config/templates/entityquestions.yaml")
    assert templates.by_relation["P17"][:3] == [
        "{subject} is located in",
        "The location of {subject} is in",
        "{subject} can be found in",
    ]
    assert "The capital of {subject} is" in templates.by_relation["P36"]


def test_demo_templates_cover_demo_relations(repo):
    relations = yaml.safe_load((repo / "config/demo/relations.yaml").read_text())["relations"]
    templates = load_templates(repo / "config/templates/demo.yaml")
    templates.check_covers(relations, minimum=4)
    for rid, entry in relations.items():
        prefixes = {p.split("{object}")[0].rstrip() for p in entry["phrasings"]}
        texts = set(templates.by_relation[rid])
        assert texts & prefixes, rid  # some templates are the corpus phrasings
        assert texts - prefixes, rid  # and some are not


def test_template_ids_are_stable():
    assert template_id("P17", 3) == "P17.03"


def test_check_covers_names_missing_relation(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("version: x\nrelations:\n  P17: ['{subject} is in']\n")
    with pytest.raises(TemplateError, match="P19"):
        load_templates(path).check_covers(["P17", "P19"])


@pytest.mark.parametrize(
    "body, message",
    [
        ("relations:\n  P17: ['{subject} is in']\n", "version"),
        ("version: 1\nrelations:\n  P17: ['is in']\n", "subject"),
        ("version: 1\nrelations:\n  P17: ['{subject} is in', '{subject} is in']\n", "duplicate"),
        ("version: 1\nrelations:\n  P17: []\n", "non-empty"),
    ],
)
def test_bad_template_files_are_rejected(tmp_path, body, message):
    path = tmp_path / "t.yaml"
    path.write_text(body)
    with pytest.raises(TemplateError, match=message):
        load_templates(path)


def test_aliases_expand_whole_group(repo):
    aliases = load_aliases(repo / "config/aliases/entityquestions.yaml")
    expanded = aliases.expand(["USA"])
    assert expanded[0] == "USA"
    assert {"United States of America", "United States"} <= set(expanded)
    assert aliases.expand(["united states"])[1] == "United States of America"  # normalised lookup
    assert aliases.expand(["Painblanc"]) == ["Painblanc"]


def test_demo_aliases_load(repo):
    aliases = load_aliases(repo / "config/aliases/demo.yaml")
    assert aliases.version and aliases.expand(["Vemor"]) == ["Vemor"]


def test_short_alias_is_rejected(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("version: 1\naliases:\n  United States: [U.S.]\n")
    with pytest.raises(TemplateError, match="shorter"):
        load_aliases(path)
