"""Run statistics sum LLM stats, training metrics and benchmarks, each recognised by content."""

import json

import pytest

from sftlab.layout import demo_stats_files, fine_tune_files, mc_eval_files, qa_eval_files
from sftlab.run_stats import benchmark_rule, summarise, to_html

BENCH_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def llm_stats(requests, hits, cost):
    return json.dumps(
        {
            "model": "openai/gpt-4o-mini",
            "conversations": requests + hits,
            "succeeded": requests + hits,
            "failed": 0,
            "cache_hits": hits,
            "requests_sent": requests,
            "prompt_tokens": 100 * requests,
            "completion_tokens": 10 * requests,
            "cost_usd": cost,
            "cache_saved_cost_usd": 0.5,
        }
    )


def test_benchmark_rule_from_folder_or_stem():
    assert benchmark_rule("benchmarks/train_sft/memory/demo/L1_n60_s0.tsv") == "train_sft"
    assert benchmark_rule("benchmarks/prepare_mmlu.tsv") == "prepare_mmlu"


def test_summarise_sums_each_kind(tmp_path):
    files = [
        write(tmp_path / "a.stats.json", llm_stats(requests=3, hits=1, cost=0.25)),
        write(tmp_path / "b.stats.json", llm_stats(requests=0, hits=4, cost=0.0)),
        write(tmp_path / "m1.json", json.dumps({"train_runtime": 12.5, "train_examples": 60})),
        write(
            tmp_path / "m2.json",
            json.dumps({"train_runtime": 7.5, "train_examples": 240, "resumed_from": "ckpt-3"}),
        ),
        write(tmp_path / "benchmarks/train_sft/x.tsv", BENCH_HEADER + "10.0\t0:00:10\t500\n"),
        write(tmp_path / "benchmarks/train_sft/y.tsv", BENCH_HEADER + "30.0\t0:00:30\t700\n"),
        write(tmp_path / "benchmarks/prepare_mmlu.tsv", BENCH_HEADER + "1.5\t0:00:01\t90\n"),
    ]
    stats = summarise(files)
    assert stats["llm"]["requests_sent"] == 3
    assert stats["llm"]["cache_hits"] == 5
    assert stats["llm"]["conversations"] == 8
    assert stats["llm"]["cost_usd"] == pytest.approx(0.25)
    assert stats["llm"]["cache_saved_cost_usd"] == pytest.approx(1.0)
    assert stats["llm"]["jobs"] == 2
    assert stats["training"] == {
        "runs": 2,
        "skipped_runs": 0,
        "train_runtime_s": 20.0,
        "longest_run_s": 12.5,
        "train_examples": 300,
        "train_tokens": 0,
        "resumed_runs": 1,
    }
    rules = {row["rule"]: row for row in stats["rules"]}
    assert rules["train_sft"]["jobs"] == 2
    assert rules["train_sft"]["wall_s"] == 40.0
    assert rules["train_sft"]["max_rss_mb"] == 700.0
    assert stats["rules"][0]["rule"] == "train_sft"  # longest first
    assert stats["benchmarked_wall_s"] == 41.5
    page = to_html(stats)
    assert "<table>" in page and "train_sft" in page and "requests_sent" in page


def test_empty_run_is_all_zero():
    stats = summarise([])
    assert stats["llm"]["requests_sent"] == 0 and stats["training"]["runs"] == 0
    assert stats["rules"] == []
    page = to_html(stats)
    assert "<td>requests_sent</td><td>0</td>" in page  # zero counters still form a table
    assert page.count("none in this run") == 1  # the empty per-rule table


def test_unknown_file_is_named(tmp_path):
    bad = write(tmp_path / "other.json", json.dumps({"accuracy": 0.5}))
    with pytest.raises(ValueError, match="other.json"):
        summarise([bad])


def eval_summary(testset, n):
    return json.dumps({"model": "demo", "run": "L1_n60_s0", "testset": testset, "n": n})


def test_every_stage_is_counted_apart(tmp_path):
    """Fine-tunes, evaluations and benchmarks of each stage land in its own row and in the total."""
    memory = [
        *fine_tune_files("memory", "demo", "L1_n60", 0),
        *qa_eval_files("memory", "demo", "L1_n60", 0, ["in"]),
        *qa_eval_files("memory", "demo", "base", 0, ["in"]),
        "benchmarks/probe_memory/demo.tsv",
    ]
    silly = [
        *fine_tune_files("silly", "demo", "plain", 0),
        *mc_eval_files("silly", "demo", "plain", 0),
    ]
    silly += ["results/silly/sets/r1.stats.json"]
    contents = {
        "metrics.json": json.dumps({"train_runtime": 20.0, "train_examples": 60}),
        "eval_in.json": eval_summary("in", 50),
        "mmlu.json": eval_summary("mmlu", 400),
        "r1.stats.json": llm_stats(requests=5, hits=0, cost=0.1),
        ".tsv": BENCH_HEADER + "30.0\t0:00:30\t500\n",
    }
    for path in memory + silly:
        text = next(v for k, v in contents.items() if path.endswith(k))
        write(tmp_path / path, text)
    stats = summarise(
        {"silly": [tmp_path / p for p in silly], "memory": [tmp_path / p for p in memory]}
    )
    assert [row["stage"] for row in stats["stages"]] == ["memory", "silly"]  # pipeline order
    rows = {row["stage"]: row for row in stats["stages"]}
    assert rows["memory"]["fine_tunes"] == 1 and rows["silly"]["fine_tunes"] == 1
    assert rows["memory"]["evaluations"] == 2 and rows["memory"]["eval_items"] == 100
    assert rows["silly"]["evaluations"] == 1 and rows["silly"]["eval_items"] == 400
    assert rows["memory"]["llm_requests"] == 0 and rows["silly"]["llm_requests"] == 5
    assert rows["memory"]["benchmarked_wall_s"] == 120.0  # train + 2 evaluations + probe
    assert rows["silly"]["benchmarked_wall_s"] == 60.0
    assert stats["training"]["runs"] == 2 and stats["evaluations"]["runs"] == 3
    assert stats["evaluations"]["testsets"] == ["in", "mmlu"]
    assert stats["benchmarked_wall_s"] == 180.0
    per_rule = {row["rule"]: row["jobs"] for row in stats["rules"]}
    assert per_rule == {"train_sft": 2, "evaluate_qa": 2, "evaluate_mc": 1, "probe_memory": 1}
    assert "<td>silly</td>" in to_html(stats)


def test_demo_pretraining_counts_when_a_study_uses_the_demo_model():
    config = {
        "demo": {"enabled": True},
        "models": {"demo": {"path": "results/demo/model"}, "hub": {"path": None}},
        "memory": {"enabled": True, "models": ["hub"]},
        "silly": {"enabled": False, "models": ["demo"]},
    }
    assert demo_stats_files(config) == []
    config["silly"]["enabled"] = True
    assert demo_stats_files(config) == ["benchmarks/pretrain_demo_model/demo.tsv"]
