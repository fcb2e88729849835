"""Reliability of sftlab.llm: real HTTP to sftlab.testing.llm_server, through each transport.

Every test runs twice: through litellm, and through sftlab's own OpenAI-compatible http transport.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationInfo, field_validator

from sftlab.io import write_json
from sftlab.llm import LLMCache, LLMClient, LLMError, LLMSettings, check_failure_rate
from sftlab.testing.llm_server import Echo, ScriptedLLMServer, ask


class Letter(BaseModel):
    letter: str

    @field_validator("letter")
    @classmethod
    def keeps_gold(cls, value: str, info: ValidationInfo) -> str:
        if info.context and value != info.context:
            raise ValueError(f"answer {value} differs from the gold letter {info.context}")
        return value


def settings(server: ScriptedLLMServer, tmp_path: Path, transport: str, **overrides) -> LLMSettings:
    values = dict(
        transport=transport,
        model="openai/test-model",
        api_base=server.url,
        cache_path=str(tmp_path / "cache" / "llm.sqlite"),
        concurrency=4,
        max_retries=3,
        backoff_base_s=0.01,
        backoff_max_s=0.5,
        timeout_s=0.5,
        max_failure_rate=1.0,  # these tests look at each failure; test_llm_faults tests the gate
    )
    return LLMSettings(**(values | overrides))


@pytest.fixture
def server():
    with ScriptedLLMServer(slow_s=1.5) as running:
        yield running


def test_retries_succeed_after_429_5xx_and_timeouts(server, tmp_path, transport):
    client = LLMClient(settings(server, tmp_path, transport))
    texts = [
        "a [[behave:429x2]]",
        "b [[behave:500x2]]",
        "c [[behave:503x1]]",
        "d [[behave:slowx1]]",
    ]
    results = client.run_json(ask(*texts), Echo)
    assert [r.ok for r in results] == [True] * 4
    assert [r.value.echo for r in results] == ["a", "b", "c", "d"]
    assert [r.requests for r in results] == [3, 3, 2, 2]
    stats = client.stats()
    assert stats["retries"] == 6 and stats["requests_sent"] == 10 == server.requests
    assert stats["failed"] == 0 and stats["prompt_tokens"] > 0 and stats["completion_tokens"] > 0


def test_retry_after_is_honoured(server, tmp_path, transport):
    server.retry_after_s = 0.3
    client = LLMClient(settings(server, tmp_path, transport, backoff_base_s=0.0))
    start = time.perf_counter()
    [result] = client.run_json(ask("x [[behave:429x1]]"), Echo)
    assert result.ok and time.perf_counter() - start >= 0.3


def test_failures_are_recorded_by_kind_and_not_retried_on_4xx(server, tmp_path, transport):
    client = LLMClient(settings(server, tmp_path, transport, max_retries=2))
    texts = ["ok", "[[behave:400]]", "[[behave:500]]", "[[behave:slow]]"]
    results = client.run_json(ask(*texts), Echo)
    assert [r.error_kind for r in results] == [None, "bad_request", "server_error", "timeout"]
    assert [r.requests for r in results] == [1, 1, 3, 3]
    stats = client.stats()
    assert stats["failures_by_kind"] == {"bad_request": 1, "server_error": 1, "timeout": 1}
    assert stats["succeeded"] == 1 and stats["failed"] == 3 and stats["retries"] == 4


def test_invalid_json_gets_one_reask_then_fails(server, tmp_path, transport):
    client = LLMClient(settings(server, tmp_path, transport))
    texts = ["f [[behave:fenced]]", "m [[behave:malformedx1]]", "n [[behave:malformed]]"]
    fenced, fixed, broken = client.run_json(ask(*texts), Echo)
    assert fenced.ok and fenced.value.echo == "f" and fenced.requests == 1
    assert fixed.ok and fixed.value.echo == "m" and fixed.requests == 2
    assert not broken.ok and broken.error_kind == "invalid_output" and broken.requests == 2
    reask = server.prompts[-1]
    assert "not valid JSON" in reask and '"echo"' in reask  # names the problem and the schema
    assert client.stats()["reasks"] == 2
    server.reset()
    again = LLMClient(settings(server, tmp_path, transport)).run_json(ask(*texts), Echo)
    assert [r.cached for r in again] == [True, True, False]  # failures are not cached
    assert server.requests == 2


def test_wrong_gold_letter_is_rejected_through_the_validation_context(tmp_path, transport):
    with ScriptedLLMServer(answer=lambda messages: json.dumps({"letter": "A"})) as server:
        client = LLMClient(settings(server, tmp_path, transport))
        right, wrong = client.run_json(ask("q1", "q2"), Letter, contexts=["A", "B"])
    assert right.ok and right.value.letter == "A"
    assert not wrong.ok and wrong.error_kind == "invalid_output" and "gold letter B" in wrong.error


def test_job_fails_only_past_max_failure_rate(server, tmp_path, transport):
    client = LLMClient(settings(server, tmp_path, transport, max_retries=0))
    texts = [f"item {i}" for i in range(18)] + ["[[behave:500]] a", "[[behave:400]] b"]
    results = client.run_json(ask(*texts), Echo)
    check_failure_rate(results, 0.10)  # 2 of 20 = 10%: allowed
    with pytest.raises(LLMError, match=r"2 of 20 LLM calls failed .*server_error: 1"):
        check_failure_rate(results, 0.05)


def test_second_run_sends_zero_requests(server, tmp_path, transport):
    texts = [f"question {i}" for i in range(12)]
    first = LLMClient(settings(server, tmp_path, transport)).run_json(ask(*texts), Echo)
    assert server.requests == 12 and all(r.ok for r in first)
    server.reset()
    client = LLMClient(settings(server, tmp_path, transport))
    second = client.run_json(ask(*texts), Echo)
    assert server.requests == 0
    assert [r.value for r in second] == [r.value for r in first]
    assert client.stats()["cache_hits"] == 12 and client.stats()["requests_sent"] == 0


def test_cache_key_covers_output_parameters(server, tmp_path, transport):
    LLMClient(settings(server, tmp_path, transport)).run_json(ask("same"), Echo)
    other = "http" if transport == "litellm" else "litellm"
    for via, changed in ((transport, {"timeout_s": 0.9, "concurrency": 2}), (other, {})):
        LLMClient(settings(server, tmp_path, via, **changed)).run_json(ask("same"), Echo)
    assert server.requests == 1  # neither transport settings nor the transport change the answer
    LLMClient(settings(server, tmp_path, transport, temperature=0.5)).run_json(ask("same"), Echo)
    assert server.requests == 2


CHILD = """
import sys
from sftlab.llm import LLMClient, LLMSettings
from sftlab.testing.llm_server import Echo, ask
url, cache, n, transport = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
settings = LLMSettings(
    model="openai/test-model", api_base=url, cache_path=cache, concurrency=4, transport=transport
)
LLMClient(settings).run_json(ask(*(f"item {i}" for i in range(n))), Echo)
"""


def test_killed_run_resumes_without_repeating_finished_requests(tmp_path, transport):
    n = 60
    cache_path = tmp_path / "llm.sqlite"
    with ScriptedLLMServer(latency_s=0.1) as server:  # 4 in flight: ~40 answers/s
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, server.url, str(cache_path), str(n), transport]
        )
        deadline = time.monotonic() + 60
        while not (cache_path.exists() and len(LLMCache(cache_path)) >= 10):
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        child.kill()
        child.wait()
        finished = len(LLMCache(cache_path))
        assert 10 <= finished < n
        sent_before = set(server.prompts)
        server.reset()
        client = LLMClient(
            LLMSettings(model="openai/test-model", api_base=server.url, cache_path=str(cache_path))
        )
        results = client.run_json(ask(*(f"item {i}" for i in range(n))), Echo)
        assert all(r.ok for r in results)
        assert client.stats()["cache_hits"] == finished
        assert server.requests == n - finished
        answered_before = {r.value.echo for r in results if r.cached}
        assert answered_before <= sent_before and not answered_before & set(server.prompts)


def test_planted_api_key_reaches_the_server_and_no_file(
    server, tmp_path, monkeypatch, capfd, transport
):
    key = "sk-planted-" + os.urandom(12).hex()
    monkeypatch.setenv("SFTLAB_TEST_LLM_KEY", key)
    log_file = tmp_path / "logs" / "generate.log"
    log_file.parent.mkdir()
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        client = LLMClient(settings(server, tmp_path, transport, api_key_env="SFTLAB_TEST_LLM_KEY"))
        texts = [
            "fine",
            "[[behave:500]]",
            "[[behave:malformed]]",
            "[[behave:429x1]]",
            "[[behave:echoauth]]",
            "[[behave:echoautherr]]",
            "[[behave:echoauthbad]]",
        ]
        results = client.run_json(ask(*texts), Echo)
        write_json(tmp_path / "results" / "stats.json", client.stats())
        write_json(tmp_path / "results" / "failures.json", [r.record() for r in results])
        client.close()
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)
    assert f"Bearer {key}" in server.authorizations  # the key was really used
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"llm.sqlite", "generate.log", "stats.json", "failures.json"} <= {
        p.name for p in written
    }
    assert log_file.stat().st_size > 0
    for path in written:
        assert key.encode() not in path.read_bytes(), path
    out, err = capfd.readouterr()
    assert key not in out and key not in err


def test_missing_key_without_api_base_stops_before_any_request(tmp_path, monkeypatch):
    monkeypatch.delenv("SFTLAB_TEST_LLM_KEY", raising=False)
    cache = str(tmp_path / "llm.sqlite")
    client = LLMClient(LLMSettings(api_key_env="SFTLAB_TEST_LLM_KEY", cache_path=cache))
    with pytest.raises(LLMError, match="SFTLAB_TEST_LLM_KEY"):
        client.run_json(ask("x"), Echo)


def test_sync_wrapper_works_inside_a_running_event_loop(server, tmp_path, transport):
    client = LLMClient(settings(server, tmp_path, transport))

    async def caller():  # e.g. a notebook cell: the wrapper must not need a loop of its own
        return client.run_json(ask("from a loop"), Echo)

    [result] = asyncio.run(caller())
    assert result.ok and result.value.echo == "from a loop"


def test_requests_carry_the_model_and_output_parameters(server, tmp_path, transport):
    overrides = dict(temperature=0.3, top_p=0.9, seed=7, max_tokens=64)
    [result] = LLMClient(settings(server, tmp_path, transport, **overrides)).run_json(
        ask("p"), Echo
    )
    assert result.ok
    sent = server.params[-1]
    assert sent["model"] == "test-model"  # the litellm provider prefix is not sent
    assert {k: sent[k] for k in overrides} == overrides
    assert sent["response_format"] == {"type": "json_object"}


def test_refused_connections_are_retried_then_recorded(tmp_path, transport):
    with ScriptedLLMServer() as server:
        url = server.url
    # the server is closed: nothing listens on its port any more
    closed = LLMSettings(
        model="openai/test-model", api_base=url, transport=transport, max_retries=2,
        backoff_base_s=0.01, cache_path=str(tmp_path / "llm.sqlite"), max_failure_rate=1.0,
    )  # fmt: skip
    [result] = LLMClient(closed).run_json(ask("anyone there"), Echo)
    # litellm reports a refused connection as an InternalServerError
    kinds = {"http": {"connection"}, "litellm": {"connection", "server_error"}}[transport]
    assert not result.ok and result.error_kind in kinds and result.requests == 3


def test_a_reply_that_is_not_a_chat_completion_fails_cleanly(server, tmp_path, transport):
    client = LLMClient(settings(server, tmp_path, transport, max_retries=1))
    fine, odd = client.run_json(ask("fine", "[[behave:notchat]]"), Echo)
    assert fine.ok and not odd.ok and odd.error_kind in ("server_error", "invalid_output")
    assert client.stats()["failed"] == 1


def test_http_transport_takes_the_proxy_from_the_environment(monkeypatch):
    from sftlab.llm.transport import env_proxy

    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert env_proxy("http://gpu-node:8000/v1/chat/completions") is None
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1,.cluster")
    assert env_proxy("http://gpu-node:8000/v1/chat/completions") == "http://proxy:3128"
    assert env_proxy("http://127.0.0.1:8000/v1/chat/completions") is None
    assert env_proxy("http://node7.cluster:8000/v1/chat/completions") is None
    assert env_proxy("https://api.example.org/v1/chat/completions") is None  # no HTTPS_PROXY
