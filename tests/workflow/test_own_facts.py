"""The own-facts example (config/examples/own_facts/) runs through the loader and the memory chain.

The example's files are the documented record format (README, "Your own facts"). A tiny random
model stands in for its hub model, so probing finds (almost) nothing: the training facts all sit in
level 0 and level 4 is empty, which exercises the skip of empty levels (sftlab.skip) end to end.
Training levels 0 and 4 only keep it to 22 jobs (~5 CPU-minutes; marked slow).
"""

from __future__ import annotations

import json

import polars as pl
import pytest
import yaml

from sftlab.config import deep_merge
from sftlab.testing.tiny_models import save_model_dir
from sftlab.testing.workflow import copy_workflow

EXAMPLE = "config/examples/own_facts"
PLANNED = [0, 4]  # level 0: every fact of a random model; level 4 (R > 0.75): none


@pytest.fixture(scope="module")
def own_facts_run(repo, tmp_path_factory):
    overlay = yaml.safe_load((repo / EXAMPLE / "config.yaml").read_text())
    overrides = {
        "models": {"tiny": {"path": "tiny_model", "kind": "base"}},
        "memory": {"models": ["tiny"], "train_levels": PLANNED, "probe": {"samples": 2}},
        "evaluate": {"qa": {"max_new_tokens": 4}},
    }
    workflow = copy_workflow(
        repo, tmp_path_factory.mktemp("own") / "wf", deep_merge(overlay, overrides)
    )
    save_model_dir(workflow.root / "tiny_model")
    workflow.run()
    return workflow


@pytest.mark.slow
def test_example_facts_load_and_run_the_memory_chain(own_facts_run):
    root = own_facts_run.root
    facts = pl.read_parquet(root / "results/data/entityquestions.parquet")
    assert sorted(facts["relation"].unique()) == ["capital", "composer", "currency"]
    assert facts.height == 35  # 14 + 14 + 7 records, every question matched its template
    currency = facts.filter(pl.col("subject") == "the United States")
    assert currency["answers"].to_list() == [["United States dollar", "USD"]]
    assert dict(facts.group_by("domain").len().iter_rows()) == {"in": 28, "ood": 7}

    levels = pl.read_parquet(root / "results/memory/tiny/levels.parquet")
    populated = set(levels.filter(pl.col("subset") == "train")["level"].to_list())
    empty = sorted(set(PLANNED) - populated)
    assert empty == [4], "a random model leaves level 4 without facts"
    train_levels = set(PLANNED) & populated

    for level in empty:  # skipped with a warning naming memory.train_levels, not an error
        sidecar = json.loads((root / f"results/memory/tiny/sets/L{level}_n4_s0.json").read_text())
        assert sidecar["empty"] and sidecar["written"] == 0
        log = (root / f"logs/sample_memory_set/tiny/L{level}_n4_s0.log").read_text()
        assert "memory.train_levels" in log
        metrics = root / f"results/runs/memory/tiny/L{level}_n4_s0/train/metrics.json"
        assert json.loads(metrics.read_text())["skipped"]

    summary = pl.read_parquet(root / "results/memory/summary.parquet")
    trained = set(summary.filter(pl.col("train_level") != "base")["train_level"].to_list())
    assert trained == {str(level) for level in train_levels}
    short = json.loads((root / "results/memory/short_sets.json").read_text())
    assert sorted(int(s["train_level"]) for s in short if s["skipped"]) == empty

    stats = json.loads((root / "results/run_stats.json").read_text())
    memory = next(row for row in stats["stages"] if row["stage"] == "memory")
    assert memory["fine_tunes"] == len(train_levels)
    assert memory["skipped_fine_tunes"] == len(empty)
    assert memory["evaluations"] == 2 * (1 + len(train_levels))  # base + trained, x 2 test sets
    assert (root / "results/memory/figures/accuracy_vs_n.png").stat().st_size > 0
