"""A canary API key through the real generate_rule_set stage: no written file may contain it.

The stage script runs as Snakemake would run it (its `main(snakemake)` with the rule's inputs,
params and log), against sftlab.testing.llm_server answering some items normally and others by
echoing the Authorization header: in a good answer (cached), in an error body (cut at 300
characters), in an invalid answer (re-asked, then a failure record). A second run meets a 401 and
stops.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from sftlab.llm import LLMError, job_param
from sftlab.silly import prompts
from sftlab.testing.llm_server import ScriptedLLMServer

ROOT = Path(__file__).resolve().parents[2]
RULE = {**prompts.NEUTRAL_RULE}
MARKERS = ["", "[[behave:echoauth]]", "[[behave:echoautherr]]", "[[behave:echoauthbad]]",
           "[[behave:500]]", "[[behave:malformedx1]]"]  # fmt: skip


def rewrite(messages) -> str:
    first = next(m["content"] for m in messages if m["role"] == "user")  # a re-ask comes last
    letter = re.search(r"Correct answer: ([A-D])\.", first).group(1)
    return json.dumps({"explanation": "Because it is so.", "answer_letter": letter})


def stage(tmp_path: Path, llm: dict, tag: str) -> SimpleNamespace:
    items = [
        {"item_id": f"i{n}", "subject": "global_facts", "question": f"{marker} Question {n}?",
         "choices": ["w", "x", "y", "z"], "answer": n % 4, "split": "auxiliary_train"}
        for n, marker in enumerate(MARKERS)
    ]  # fmt: skip
    table = tmp_path / "results" / "items.parquet"
    table.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(items).write_parquet(table)
    out = tmp_path / "results" / "sets"
    return SimpleNamespace(
        input=SimpleNamespace(table=str(table)),
        output=SimpleNamespace(
            set=str(out / f"{tag}.jsonl"),
            failures=str(out / f"{tag}.failures.jsonl"),
            stats=str(out / f"{tag}.stats.json"),
        ),
        log=[str(tmp_path / "logs" / f"{tag}.log")],
        wildcards=SimpleNamespace(arm="neutral"),
        params=SimpleNamespace(
            rule=RULE, generator={"kind": "llm"}, llm=job_param(llm), chat=False
        ),
    )


@pytest.fixture
def script():
    path = ROOT / "workflow" / "scripts" / "generate_rule_set.py"
    spec = importlib.util.spec_from_file_location("generate_rule_set", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handlers = list(logging.getLogger().handlers)
    yield module
    for handler in logging.getLogger().handlers:  # setup_logging replaced the root's handlers
        if handler not in handlers:
            handler.close()
    logging.getLogger().handlers = handlers


@pytest.mark.parametrize("transport", ["litellm", "http"])
def test_canary_key_reaches_the_server_and_no_written_file(
    tmp_path, monkeypatch, script, transport, capfd
):
    canary = "sk-canary-" + os.urandom(20).hex()
    monkeypatch.setenv("SFTLAB_CANARY_KEY", canary)
    with ScriptedLLMServer(answer=rewrite) as server:
        llm = {
            "model": "openai/test-model", "api_base": server.url,
            "api_key_env": "SFTLAB_CANARY_KEY", "transport": transport, "max_retries": 1,
            "backoff_base_s": 0.0, "timeout_s": 5.0, "max_failure_rate": 1.0,
            "cache_path": str(tmp_path / ".sftlab-cache" / "llm.sqlite"),
        }  # fmt: skip
        script.main(stage(tmp_path, llm, "first"))
        assert f"Bearer {canary}" in server.authorizations  # the key was really used
        server.behaviour = lambda messages, seen: "401"
        with pytest.raises(LLMError, match="auth"):
            script.main(
                stage(tmp_path / "second", {**llm, "cache_path": str(tmp_path / "c2")}, "s")
            )
    stats = json.loads((tmp_path / "results" / "sets" / "first.stats.json").read_text())
    # echoautherr, echoauthbad (invalid twice) and 500 fail; malformedx1 is fixed by its re-ask
    assert stats["counts"]["requested"] == 6 and stats["counts"]["llm_failed"] == 3
    failures = (tmp_path / "results" / "sets" / "first.failures.jsonl").read_text()
    assert failures.count("***") >= 2  # the echoed keys were there, redacted
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"llm.sqlite", "first.log", "s.log", "first.jsonl", "first.failures.jsonl"} <= {
        p.name for p in written
    }
    for path in written:
        data = path.read_bytes()
        assert canary.encode() not in data and canary[:16].encode() not in data, path
    out, err = capfd.readouterr()
    assert canary[:16] not in out + err
