"""A run with an empty SFT set passes through training and evaluation as a marked skip."""

import polars as pl

from sftlab.io import read_json, write_json, write_jsonl
from sftlab.run_stats import summarise
from sftlab.skip import is_empty_set, skip_reason, skipped_evaluation, write_skipped_training


def test_empty_set_is_skipped_through_training_and_evaluation(tmp_path):
    empty, full = tmp_path / "empty.jsonl", tmp_path / "full.jsonl"
    write_jsonl(empty, [])
    write_jsonl(full, [{"prompt": "q", "completion": " a"}])
    assert is_empty_set(empty) and not is_empty_set(full)

    adapter, train = tmp_path / "run/adapter", tmp_path / "run/train"
    metrics = write_skipped_training(adapter, train, "empty SFT set", {"method": "lora"}, seed=1)
    assert skip_reason(adapter) == "empty SFT set"
    assert skip_reason(None) is None and skip_reason(tmp_path) is None  # real adapters, base model
    assert read_json(train / "metrics.json") == metrics and metrics["train_runtime"] == 0.0
    assert pl.read_parquet(train / "loss.parquet").columns[:3] == ["step", "epoch", "loss"]

    items = pl.DataFrame({"item_id": ["a"], "group": ["0"]})
    per_item, summary = skipped_evaluation(items, ["group"], "empty SFT set", testset="in")
    assert per_item.is_empty() and per_item.columns[-1] == "group"
    assert summary["skipped"] and summary["n"] == 0 and summary["testset"] == "in"

    summary_path = tmp_path / "eval_in.json"
    write_json(summary_path, summary)
    stats = summarise({"memory": [train / "metrics.json", summary_path]})
    assert stats["training"]["runs"] == 0 and stats["training"]["skipped_runs"] == 1
    assert stats["evaluations"]["runs"] == 0 and stats["evaluations"]["skipped_runs"] == 1
    assert stats["stages"][0]["skipped_fine_tunes"] == 1
