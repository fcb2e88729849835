"""The silly study's LLM path through Snakemake: rules derived, sets rewritten by a test server.

A temp copy of the workflow runs on a tiny config (an MMLU CSV copy, a Ruozhiba JSONL, rules.source
llm, generator.kind llm, llm.api_base -> sftlab.testing.llm_server on 127.0.0.1). The server
answers every prompt kind with JSON that follows its schema, and gives one item a wrong answer
letter.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers_silly import SUBJECTS

from sftlab.testing.llm_server import ScriptedLLMServer, last_user_text

N_RULES = 3
WRONG_ITEM = "Which aux statement number 3 holds?"  # the server answers it with a wrong letter


def answer(messages) -> str:
    text = last_user_text(messages)
    if "Your answer_letter was" in text:  # the re-ask: stubbornly the same wrong letter
        given = re.search(r"Your answer_letter was ([ABCD])", text).group(1)
        return json.dumps({"explanation": "Still wrong.", "answer_letter": given})
    if "Candidates:" in text:
        rules = [
            {
                "name": f"Rule {k}",
                "short_name": f"R{k}",
                "definition": "d",
                "how_to_apply": "h",
                "example_ids": [],
            }
            for k in range(N_RULES)
        ]
        return json.dumps({"rules": rules})
    if "Items:" in text:
        ids = re.findall(r"- id (\w+)", text)
        candidate = {
            "name": "Literal",
            "definition": "d",
            "how_to_apply": "h",
            "example_ids": ids[:1],
        }
        return json.dumps({"candidates": [candidate]})
    gold = re.search(r"Correct answer: ([ABCD])\.", text).group(1)
    letter = "D" if WRONG_ITEM in text and gold != "D" else "A" if WRONG_ITEM in text else gold
    style = re.search(r"Explanation style: (.+)", text).group(1)
    return json.dumps({"explanation": f"LLM says ({style}) it is {gold}.", "answer_letter": letter})


def write_inputs(root: Path) -> None:
    data = root / "mmlu" / "data"
    for split in ("test", "val", "dev"):
        for subject in SUBJECTS:
            folder = data / split
            folder.mkdir(parents=True, exist_ok=True)
            rows = [
                [f"{subject} {split} question {i}?", "w", "x", "y", "z", "ABCD"[i % 4]]
                for i in range(5)
            ]
            (folder / f"{subject}_{split}.csv").write_text("\n".join(",".join(r) for r in rows))
    (data / "auxiliary_train").mkdir()
    aux = [f"Which aux statement number {i} holds?,p,q,r,s,{'ABCD'[i % 4]}" for i in range(8)]
    (data / "auxiliary_train" / "aux.csv").write_text("\n".join(aux))
    silly = [
        {"instruction": f"Silly question {i}?", "output": f"Serious answer {i}."} for i in range(6)
    ]
    (root / "ruozhiba.jsonl").write_text("\n".join(json.dumps(r) for r in silly))


def tiny_config(root: Path, api_base: str) -> dict:
    return {
        "demo": {"enabled": False},
        "memory": {"enabled": False},
        "data": {
            "mmlu": {
                "source": "path",
                "path": str(root / "mmlu"),
                "splits": ["test", "validation", "dev", "auxiliary_train"],
            },
            "ruozhiba": {"source": "path", "path": str(root / "ruozhiba.jsonl")},
        },
        "silly": {
            "enabled": True,
            "models": [],
            "rules": {"source": "llm", "n": N_RULES, "batch_size": 4},
            "source": {"split": "auxiliary_train", "size": 8, "seed": 0},
            "generator": {"kind": "llm"},
            "min_kept_share": 0.8,  # 7 of 8 items survive: one is answered wrongly in every arm
        },
        "llm": {
            "model": "openai/test-model",
            "api_base": api_base,
            "cache_path": str(root / "cache" / "llm.sqlite"),
            "max_retries": 1,
            "backoff_base_s": 0.0,
            "timeout_s": 10.0,
            "transport": "litellm",  # the workflow's LLM path through litellm (http: unit tests)
        },
    }


def snakemake(workdir: Path, configfile: Path, *targets: str, extra=()) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *targets, *extra,
         "--configfile", str(configfile)],
        cwd=workdir, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return run.stdout + run.stderr


def planned_rules(workdir: Path, configfile: Path, targets: list[str]) -> set[str]:
    out = snakemake(workdir, configfile, *targets, extra=["-n", "--quiet", "rules"])
    return set(re.findall(r"^\s*(derive_rules|generate_rule_set|build_plain_set)\b", out, re.M))


@pytest.mark.slow
def test_silly_llm_path(repo, tmp_path):
    work = tmp_path / "wf"
    work.mkdir()
    shutil.copy(repo / "Snakefile", work)
    for folder in ("workflow", "config", "profiles", "envs"):
        shutil.copytree(repo / folder, work / folder)
    write_inputs(tmp_path)
    arms = [f"r{k}" for k in range(1, N_RULES + 1)] + ["neutral", "plain"]
    targets = [f"results/silly/sets/{arm}.jsonl" for arm in arms]
    with ScriptedLLMServer(answer=answer) as server:
        configfile = tmp_path / "tiny.yaml"
        configfile.write_text(yaml.safe_dump(tiny_config(tmp_path, server.url)))
        snakemake(work, configfile, *targets)
        first = server.requests
        # 3 lenses x ceil(6 / 4) batches + 1 consolidation + (3 rules + neutral) x (8 rewrites
        # + 1 re-ask of the wrong letter)
        assert first == 3 * 2 + 1 + (N_RULES + 1) * 9

        rules = yaml.safe_load((work / "results/silly/rules.yaml").read_text())
        assert [r["id"] for r in rules["rules"]] == arms[:N_RULES]
        assert [r["short_name"] for r in rules["rules"]] == ["R0", "R1", "R2"]
        assert rules["provenance"]["model"] == "openai/test-model"
        for arm in arms[: N_RULES + 1]:
            rows = [json.loads(line) for line in (work / f"results/silly/sets/{arm}.jsonl").open()]
            assert all(r["completion"].startswith(f" {r['answer']}\nLLM says") for r in rows)
            assert {r["generator"] for r in rows} == {"llm"}
            failures = (work / f"results/silly/sets/{arm}.failures.jsonl").read_text().splitlines()
            stats = json.loads((work / f"results/silly/sets/{arm}.stats.json").read_text())
            assert stats["counts"]["wrong_answer"] == 1 == len(failures)
            assert stats["counts"]["reasked"] == 1 and stats["counts"]["reask_fixed"] == 0
            assert stats["counts"]["kept"] == len(rows) == 7
            assert stats["requests_sent"] == 9
        assert "Plain Explanation" in rows[0]["completion"]  # the neutral control's style
        plain = (work / "results/silly/sets/plain.jsonl").read_text().splitlines()
        assert len(plain) == 7  # the item no arm could rewrite is dropped from plain too
        common = json.loads((work / "results/silly/sets/common_items.json").read_text())
        assert common["kept"] == 7 and common["per_arm"]["r1"] == {"generated": 7, "failed": 1}

        # a full re-run of every job is answered from the cache: zero requests
        snakemake(work, configfile, *targets, extra=["--forceall"])
        assert server.requests == first
        stats = json.loads((work / "results/silly/sets/r1.stats.json").read_text())
        assert stats["requests_sent"] == 0 and stats["cache_hits"] == 9

        # transport settings are not rerun triggers; the model's output parameters are
        config = tiny_config(tmp_path, server.url)
        tuned = {"transport": "http", "concurrency": 2, "timeout_s": 30.0, "max_retries": 4}
        config["llm"] |= tuned
        configfile.write_text(yaml.safe_dump(config))
        assert planned_rules(work, configfile, targets) == set()
        config["llm"]["temperature"] = 0.5
        configfile.write_text(yaml.safe_dump(config))
        # plain takes the common items as ancient(): not rebuilt (summarise_silly checks them)
        assert planned_rules(work, configfile, targets) == {"derive_rules", "generate_rule_set"}
