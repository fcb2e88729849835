"""Hostile conditions for sftlab.llm, injected through real HTTP to sftlab.testing.llm_server.

The failure gate, replies that are malformed, oversized or nested too deeply, keys that must stay
home (custom api_base, pasted keys, echoing servers, child loggers, tracebacks), and network
failures that say what they are and where.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from sftlab.config import ConfigError, validate_config
from sftlab.io import read_yaml
from sftlab.llm import LLMCache, LLMClient, LLMError, LLMSettings
from sftlab.llm.transport import MAX_REPLY_BYTES
from sftlab.testing.llm_server import Echo, ScriptedLLMServer, ask

ROOT = Path(__file__).resolve().parents[2]


def settings(url: str, tmp_path: Path, transport: str, **overrides) -> LLMSettings:
    values = dict(
        transport=transport, model="openai/test-model", api_base=url, concurrency=8,
        max_retries=2, backoff_base_s=0.0, timeout_s=2.0,
        cache_path=str(tmp_path / "cache" / "llm.sqlite"),
    )  # fmt: skip
    return LLMSettings(**(values | overrides))


@pytest.mark.parametrize(
    ("behaviour", "kind", "most_requests"),
    [
        # 100 items, 5% may fail: the 6th failure stops the job; 8 in flight x 3 tries, plus at
        # most one first try of the 8 items taken up meanwhile (before the gate: 300 requests)
        ("503", "server_error", 32),
        # the first 401 stops it: only the requests already in flight are sent (before: 100)
        ("401", "auth", 8),
    ],
)
def test_failure_gate_stops_a_hopeless_job_early(
    tmp_path, transport, behaviour, kind, most_requests
):
    with ScriptedLLMServer(behaviour=lambda messages, seen: behaviour) as server:
        client = LLMClient(settings(server.url, tmp_path, transport))
        with pytest.raises(LLMError, match=rf"stopped .*{kind}"):
            client.run_json(ask(*(f"item {i}" for i in range(100))), Echo)
        print(f"{behaviour} to everything, 100 items: {server.requests} requests")
        assert server.requests <= most_requests
    assert client.stats()["failures_by_kind"][kind] >= 1


def test_failure_gate_stops_after_ten_same_failures_with_a_generous_budget(tmp_path):
    with ScriptedLLMServer(behaviour=lambda messages, seen: "400") as server:
        client = LLMClient(settings(server.url, tmp_path, "http", max_failure_rate=0.5))
        with pytest.raises(LLMError, match=r"the first 1\d calls all failed \(bad_request\)"):
            client.run_json(ask(*(f"item {i}" for i in range(200))), Echo)
        assert server.requests < 20  # not the 100 failures the budget would allow


def test_failure_gate_lets_a_job_within_its_budget_finish(tmp_path):
    with ScriptedLLMServer() as server:
        client = LLMClient(settings(server.url, tmp_path, "http", max_failure_rate=0.05))
        texts = [f"item {i}" for i in range(99)] + ["[[behave:400]] one bad"]
        results = client.run_json(ask(*texts), Echo)
    assert sum(not r.ok for r in results) == 1 and len(results) == 100


@pytest.mark.parametrize(
    ("behaviour", "kind"),
    [("nested", "invalid_output"), ("huge", "oversized"), ("nonstring", "server_error")],
)
def test_a_hostile_reply_is_one_recorded_failure(tmp_path, transport, behaviour, kind):
    with ScriptedLLMServer() as server:
        client = LLMClient(settings(server.url, tmp_path, transport, max_failure_rate=1.0))
        texts = ["fine", f"[[behave:{behaviour}]] hostile", "also fine"]
        fine, hostile, also = client.run_json(ask(*texts), Echo)
        prompts = server.prompts
    assert fine.ok and also.ok and not hostile.ok
    if transport == "litellm" and behaviour == "nonstring":
        assert hostile.error_kind in ("server_error", "other", "bad_request")  # litellm's own check
    else:
        assert hostile.error_kind == kind
    # nothing of a refused or unparsable reply travels back to the server in a re-ask
    assert all(len(p) < MAX_REPLY_BYTES // 100 for p in prompts)
    if behaviour == "huge":
        assert hostile.requests == 1  # refused, not retried


def test_custom_api_base_gets_no_provider_key(tmp_path, transport, monkeypatch):
    canary = "sk-canary-" + os.urandom(16).hex()
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    with ScriptedLLMServer() as server:
        [result] = LLMClient(settings(server.url, tmp_path, transport)).run_json(ask("x"), Echo)
        assert result.ok and server.authorizations == ["Bearer EMPTY"]
        server.reset()
        explicit = settings(server.url, tmp_path / "b", transport, api_key_env="OPENAI_API_KEY")
        LLMClient(explicit).run_json(ask("y"), Echo)
        assert server.authorizations == [f"Bearer {canary}"]  # named explicitly: sent


def test_provider_key_variable_follows_the_model_prefix():
    assert LLMSettings(model="openai/gpt-4o").key_variable() == "OPENAI_API_KEY"
    assert LLMSettings(model="anthropic/claude-x").key_variable() == "ANTHROPIC_API_KEY"
    assert LLMSettings(api_base="http://h:1/v1").key_variable() is None
    assert (
        LLMSettings(api_base="http://h:1/v1", api_key_env="VLLM_KEY").key_variable() == "VLLM_KEY"
    )


def test_a_pasted_key_in_api_key_env_is_a_config_error_that_does_not_print_it():
    pasted = "sk-proj-" + os.urandom(20).hex()
    config = read_yaml(ROOT / "config" / "config.yaml")
    config["llm"]["api_key_env"] = pasted
    with pytest.raises(ConfigError) as caught:
        validate_config(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    assert "llm.api_key_env" in str(caught.value) and pasted not in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        LLMSettings(api_key_env=pasted)
    assert "api_key_env" in str(caught.value) and pasted not in str(caught.value)


def test_secrets_are_redacted_in_child_loggers_tracebacks_and_before_truncation(
    tmp_path, transport, monkeypatch
):
    canary = "sk-canary-" + os.urandom(16).hex()
    monkeypatch.setenv("SFTLAB_CANARY_KEY", canary)
    log_file = tmp_path / "rule.log"
    handler = logging.FileHandler(log_file)
    logging.getLogger().addHandler(handler)
    try:
        with ScriptedLLMServer() as server:
            client = LLMClient(
                settings(server.url, tmp_path, transport, api_key_env="SFTLAB_CANARY_KEY",
                         max_failure_rate=1.0, max_retries=0)
            )  # fmt: skip
            results = client.run_json(
                ask("[[behave:echoautherr]] a", "[[behave:echoauth]] b"), Echo
            )
        child = logging.getLogger("sftlab.some.child.module")
        child.warning("a child logger printing %s", canary)
        try:
            raise RuntimeError(f"a traceback carrying {canary}")
        except RuntimeError:
            child.exception("caught")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    error, echoed = results
    # the key sits after 280 characters of the error body: redacted before the 300-character cut
    assert not error.ok and "***" in error.error and canary[:8] not in error.error
    assert echoed.ok and "***" in echoed.text and canary not in echoed.text
    text = log_file.read_text()
    assert "a child logger printing ***" in text and "a traceback carrying ***" in text
    assert canary[:12] not in text


@pytest.mark.parametrize(
    ("api_base", "kind"),
    [("http://no-such-host.invalid:8000/v1", "dns"), ("https://127.0.0.1:{port}/v1", "tls")],
)
def test_network_failures_name_their_kind_and_url(tmp_path, transport, api_base, kind):
    with ScriptedLLMServer() as server:  # plain http: an https client fails its TLS handshake
        url = api_base.format(port=server.port)
        client = LLMClient(settings(url, tmp_path, transport, max_retries=0, max_failure_rate=1.0))
        [result] = client.run_json(ask("anyone"), Echo)
    assert not result.ok and result.error_kind == kind, result.error
    assert url.split("/v1")[0] in result.error


def test_cache_survives_concurrent_first_use(tmp_path):
    from bench_llm_cache import trial

    for number in range(3):  # bench/bench_llm_cache.py runs 30 trials
        folder = tmp_path / str(number)
        folder.mkdir()
        assert trial(12, folder) == []
        assert len(LLMCache(folder / "llm.sqlite")) == 12


def test_cache_refuses_a_file_system_without_locks(tmp_path, monkeypatch):
    import fcntl

    def no_locks(*args):  # what lockf gives on an NFS mount without a lock daemon
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "lockf", no_locks)
    with pytest.raises(LLMError, match=r"llm\.sqlite: no file locks .*llm\.cache_path"):
        LLMCache(tmp_path / "llm.sqlite")


def test_the_key_can_come_from_an_owner_only_file(tmp_path, monkeypatch):
    canary = "sk-canary-" + os.urandom(16).hex()
    key_file = tmp_path / "openai.key"
    key_file.write_text(canary + "\n")
    key_file.chmod(0o644)
    with ScriptedLLMServer() as server:
        client = LLMClient(settings(server.url, tmp_path, "http", api_key_file=str(key_file)))
        with pytest.raises(LLMError, match=r"readable by others; run chmod 600"):
            client.run_json(ask("x"), Echo)
        key_file.chmod(0o600)
        [result] = client.run_json(ask("x"), Echo)
        assert result.ok and server.authorizations == [f"Bearer {canary}"]
    with pytest.raises(ValidationError, match="not both"):
        LLMSettings(api_key_env="OPENAI_API_KEY", api_key_file=str(key_file))
