"""Alias table hygiene on the shipped EntityQuestions table and the test fixture's objects."""

from sftlab.memory.alias_check import alias_conflicts, dataset_objects, main
from sftlab.memory.templates import load_aliases


def test_shipped_table_has_no_ambiguous_alias(repo, capsys):
    table = repo / "config/aliases/entityquestions.yaml"
    objects = dataset_objects(repo / "tests/fixtures/entityquestions/dataset")
    assert "United Kingdom" in objects and len(set(objects)) == 18
    conflicts = alias_conflicts(load_aliases(table), objects)
    assert [c for c in conflicts if not c.canonical] == []
    dataset = str(repo / "tests/fixtures/entityquestions/dataset")
    assert main([str(table), "--objects", dataset]) == 0
    assert "0 alias error(s)" in capsys.readouterr().out


def test_ambiguous_aliases_are_reported(tmp_path, capsys):
    table = tmp_path / "aliases.yaml"
    table.write_text(
        "version: t\naliases:\n"
        "  United States of America: [USA, America]\n"
        "  South Korea: [Korea]\n"
        "  North Korea: [DPRK]\n"
        "  rock music: [rock]\n"
    )
    objects = ["South America", "punk rock", "Korea"]  # "Korea" names South Korea: no conflict
    found = {(c.alias, c.entity) for c in alias_conflicts(load_aliases(table), objects)}
    assert found == {
        ("America", "South America"),
        ("Korea", "North Korea"),
        ("rock", "punk rock"),
    }
    assert main([str(table)]) == 1
    assert "error: alias 'Korea' is contained in 'North Korea'" in capsys.readouterr().out


def test_whole_words_setting_is_the_matching_rule(tmp_path):
    from sftlab.evaluate.match import MatchSettings

    table = tmp_path / "aliases.yaml"
    table.write_text("version: t\naliases:\n  writer: [author]\n")
    objects = ["co author", "authority"]
    loose = alias_conflicts(load_aliases(table), objects)
    strict = alias_conflicts(load_aliases(table, MatchSettings(whole_words=True)), objects)
    assert {c.entity for c in loose} == {"co author", "authority"}
    assert {c.entity for c in strict} == {"co author"}
