"""python -m sftlab.llm: one request to the configured endpoint, through either transport."""

import json
from pathlib import Path

import pytest
import yaml

from sftlab.llm.__main__ import main
from sftlab.testing.llm_server import ScriptedLLMServer

ROOT = Path(__file__).resolve().parents[2]
GOOD = json.dumps({"ok": True, "capital_of_france": "Paris"})


def configfile(tmp_path: Path, api_base: str, **llm) -> str:
    path = tmp_path / "llm.yaml"
    section = {
        "model": "openai/test-model",
        "api_base": api_base,
        "max_retries": 0,
        "cache_path": str(tmp_path / "cache" / "llm.sqlite"),
        **llm,
    }
    path.write_text(yaml.safe_dump({"llm": section}))
    return str(path)


@pytest.mark.parametrize("transport", ["litellm", "http"])
def test_check_reports_a_usable_answer(tmp_path, capsys, transport):
    with ScriptedLLMServer(answer=lambda messages: GOOD) as server:
        config = configfile(tmp_path, server.url, transport=transport)
        status = main(["--configfile", str(ROOT / "config/config.yaml"), config])
        assert server.requests == 1
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"via the {transport} transport" in out and "OK: the reply is valid JSON" in out
    assert "prompt +" in out and not (tmp_path / "cache").exists()  # the cache is not touched


def test_check_fails_on_a_reply_that_is_not_json_and_on_a_dead_server(tmp_path, capsys):
    with ScriptedLLMServer(answer=lambda messages: "Sure! Paris.") as server:
        assert main(["--configfile", configfile(tmp_path, server.url)]) == 1
        url = server.url
    assert "FAILED (invalid_output)" in capsys.readouterr().out
    assert main(["--configfile", configfile(tmp_path, url)]) == 1  # nothing listens any more
    assert "FAILED (connection, retryable)" in capsys.readouterr().out


def test_check_rejects_a_bad_config_before_any_request(tmp_path, capsys):
    assert main(["--configfile", configfile(tmp_path, "http://127.0.0.1:9/v1", concurrency=0)]) == 2
    assert "llm.concurrency" in capsys.readouterr().err
