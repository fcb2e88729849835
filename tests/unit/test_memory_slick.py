"""SliCK categories, exact match and few-shot prompt construction."""

import polars as pl
import pytest

from sftlab.evaluate.match import MatchSettings
from sftlab.memory.slick import (
    SlickSettings,
    agreement_table,
    build_prompts,
    category,
    exact_match,
    run_slick,
)


@pytest.mark.parametrize(
    "greedy, total, sampled, expected",
    [
        (10, 10, 0, "HighlyKnown"),
        (3, 10, 0, "MaybeKnown"),
        (1, 10, 50, "MaybeKnown"),
        (0, 10, 1, "WeaklyKnown"),
        (0, 10, 0, "Unknown"),
    ],
)
def test_category(greedy, total, sampled, expected):
    assert category(greedy, total, sampled) == expected


def test_exact_match_is_not_containment():
    settings = MatchSettings()
    assert exact_match(" paris.\nQ: next", ["Paris"], settings)
    assert not exact_match(" Paris, France", ["Paris"], settings)
    assert exact_match("USA", ["United States", "USA"], settings)


def facts_and_dev(n_dev=6):
    dev = pl.DataFrame(
        {
            "fact_id": [f"d{i}" for i in range(n_dev)],
            "relation": ["r"] * n_dev,
            "question": [f"Q{i}?" for i in range(n_dev)],
            "answers": [[f"A{i}"] for i in range(n_dev)],
        }
    )
    facts = pl.DataFrame(
        {
            "fact_id": ["f", "d0"],
            "relation": ["r", "r"],
            "question": ["Where?", "Q0?"],
            "answers": [["X"], ["A0"]],
        }
    )
    return facts, dev


def test_prompts_use_same_relation_dev_and_never_the_fact_itself():
    facts, dev = facts_and_dev()
    settings = SlickSettings(prompts=10, shots=4)
    prompts = build_prompts(facts, dev, settings)
    assert prompts.height == 20
    first = prompts.filter(pl.col("fact_id") == "f")["prompt"][0]
    assert first.count("Q: ") == 5 and first.endswith("Q: Where?\nA:")
    own = prompts.filter(pl.col("fact_id") == "d0")["prompt"].to_list()
    assert all("Q: Q0?\nA: A0" not in p for p in own)
    assert build_prompts(facts, dev, settings).equals(prompts)  # seeded


def test_too_few_exemplars():
    facts, dev = facts_and_dev(n_dev=3)
    with pytest.raises(ValueError, match="dev exemplars"):
        build_prompts(facts, dev, SlickSettings(shots=4))


def test_run_slick_with_scripted_answers():
    facts, dev = facts_and_dev()

    def fake_generate(prompts, num_samples, do_sample, **kwargs):
        out = []
        for p in prompts:
            right = "X" if p.endswith("Where?\nA:") else "wrong"
            out.append([right if not do_sample else "nope"] * num_samples)
        return out

    table = run_slick(
        fake_generate, facts, dev, {"f": ["X"], "d0": ["A0"]}, SlickSettings(prompts=3, samples=2)
    )
    row = {r["fact_id"]: r for r in table.iter_rows(named=True)}
    assert row["f"]["slick"] == "HighlyKnown" and row["f"]["greedy_total"] == 3
    assert row["d0"]["slick"] == "Unknown" and row["d0"]["sample_total"] == 6


def test_agreement_table_has_every_category():
    levels = pl.DataFrame({"level": [0, 0, 4], "slick": ["Unknown", "Unknown", "HighlyKnown"]})
    table = agreement_table(levels)
    assert table.columns == ["level", "HighlyKnown", "MaybeKnown", "WeaklyKnown", "Unknown"]
    assert table.filter(pl.col("level") == 0)["Unknown"].item() == 2
