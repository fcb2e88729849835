"""Level-pure SFT sets: balance across relations, honest shortfalls, formats, QA items."""

import polars as pl
import pytest

from sftlab.memory.sets import allocate, qa_items, sample_level_set, sft_records


def test_allocate_is_balanced():
    assert allocate({"a": 50, "b": 50, "c": 50}, 30) == {"a": 10, "b": 10, "c": 10}
    assert allocate({"a": 50, "b": 50, "c": 50}, 31) == {"a": 11, "b": 10, "c": 10}


def test_allocate_redistributes_shortfall():
    assert allocate({"a": 2, "b": 50, "c": 50}, 30) == {"a": 2, "b": 14, "c": 14}


def test_allocate_never_exceeds_availability():
    assert allocate({"a": 2, "b": 3}, 100) == {"a": 2, "b": 3}


def levels_table(per_relation: dict[str, dict[int, int]]) -> pl.DataFrame:
    rows = []
    for rel, levels in per_relation.items():
        for level, count in levels.items():
            for i in range(count):
                rows.append(
                    {
                        "fact_id": f"{rel}-{level}-{i:03d}",
                        "relation": rel,
                        "level": level,
                        "question": f"q {rel} {i}?",
                        "answers": [f"a{i}"],
                        "R": level / 4,
                    }
                )
    return pl.DataFrame(rows, schema_overrides={"level": pl.Int8})


def test_set_is_level_pure_and_balanced():
    levels = levels_table({"r1": {1: 40, 2: 40}, "r2": {1: 40, 2: 5}})
    facts, report = sample_level_set(levels, 1, 20, seed=0, relations=["r1", "r2"])
    assert facts.height == 20 and set(facts["level"]) == {1}
    assert facts.group_by("relation").len().sort("relation")["len"].to_list() == [10, 10]
    assert report["short"] is False and report["balanced"] is True


def test_small_level_is_reported_not_padded():
    levels = levels_table({"r1": {2: 3}, "r2": {2: 4, 3: 100}})
    facts, report = sample_level_set(levels, 2, 60, seed=0, relations=["r1", "r2"])
    assert facts.height == 7 and set(facts["level"]) == {2}
    assert report["short"] is True
    assert report["requested"] == 60 and report["written"] == 7 and report["level_size"] == 7


def test_all_takes_the_whole_level_and_relation_without_facts_is_listed():
    levels = levels_table({"r1": {0: 9}, "r2": {1: 4}})
    facts, report = sample_level_set(levels, 0, None, seed=1, relations=["r1", "r2"])
    assert facts.height == 9 and report["n"] == "all" and not report["short"]
    assert report["available_per_relation"] == {"r1": 9, "r2": 0}


def test_sampling_is_seeded():
    levels = levels_table({"r1": {1: 50}, "r2": {1: 50}})
    a, _ = sample_level_set(levels, 1, 10, seed=0, relations=["r1", "r2"])
    b, _ = sample_level_set(levels, 1, 10, seed=0, relations=["r1", "r2"])
    c, _ = sample_level_set(levels, 1, 10, seed=1, relations=["r1", "r2"])
    assert a["fact_id"].to_list() == b["fact_id"].to_list()
    assert set(a["fact_id"]) != set(c["fact_id"])


def test_paper_and_chat_formats():
    facts = levels_table({"r1": {1: 1}})
    paper = sft_records(facts, "paper", {"model": "m"})[0]
    assert paper["prompt"] == "<|question|> q r1 0? <|answer|>" and paper["completion"] == " a0"
    assert paper["level"] == 1 and paper["model"] == "m"
    chat = sft_records(facts, "chat", {})[0]
    assert chat["prompt"] == [{"role": "user", "content": "q r1 0?"}]
    assert chat["completion"] == [{"role": "assistant", "content": "a0"}]
    with pytest.raises(ValueError):
        sft_records(facts, "alpaca", {})


def test_qa_items_carry_aliases_and_level_group():
    facts = levels_table({"r1": {3: 2}})
    items = qa_items(facts, "paper", lambda answers: [*answers, "alias"])
    assert items.columns[:4] == ["item_id", "prompt", "answers", "group"]
    assert items["answers"][0].to_list() == ["a0", "alias"]
    assert items["group"].to_list() == ["3", "3"]
    assert items["prompt"][0].startswith("<|question|> ")
