"""JSON extraction, schema validation, cache keys, the SQLite cache and the failure-rate gate."""

from __future__ import annotations

import sqlite3

import pytest
from pydantic import BaseModel

from sftlab.llm import (
    InvalidAnswer,
    LLMCache,
    LLMError,
    LLMResult,
    cache_key,
    check_failure_rate,
    extract_json,
    parse_answer,
)
from sftlab.llm.cache import CachedAnswer


class Rewrite(BaseModel):
    question: str
    answer: str


@pytest.mark.parametrize(
    "text",
    [
        '{"question": "q", "answer": "B"}',
        '```json\n{"question": "q", "answer": "B"}\n```',
        'Here you go:\n```\n{"question": "q", "answer": "B"}\n```\nThanks',
        'Sure. {"question": "q", "answer": "B"} Hope this helps.',
    ],
)
def test_extract_json_tolerates_fences_and_prose(text):
    assert extract_json(text) == {"question": "q", "answer": "B"}


def test_parse_answer_names_the_problem():
    with pytest.raises(InvalidAnswer, match="not valid JSON"):
        parse_answer("{answer: B", Rewrite)
    with pytest.raises(InvalidAnswer, match="question: Field required"):
        parse_answer('{"answer": "B"}', Rewrite)
    assert parse_answer('{"question": "q", "answer": "B"}', Rewrite).answer == "B"


def test_cache_key_is_stable_and_content_addressed():
    messages = [{"role": "user", "content": "hi"}]
    params = {"temperature": 0.0, "max_tokens": 10}
    schema = Rewrite.model_json_schema()
    key = cache_key("openai/m", messages, params, schema)
    assert key == cache_key("openai/m", [dict(m) for m in messages], dict(params), schema)
    assert len(key) == 64
    others = [
        cache_key("openai/other", messages, params, schema),
        cache_key("openai/m", [{"role": "user", "content": "hi!"}], params, schema),
        cache_key("openai/m", messages, params | {"temperature": 0.7}, schema),
        cache_key("openai/m", messages, params, {"type": "object"}),
    ]
    assert key not in others and len(set(others)) == 4


def test_cache_round_trip_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "llm.sqlite"
    cache = LLMCache(path)
    cache.put("k1", "openai/m", CachedAnswer('{"a": 1}', 10, 3, 0.001))
    cache.put("k2", "openai/m", CachedAnswer('{"a": 2}', 11, 4, None))
    assert len(cache) == 2
    found = LLMCache(path).get_many(["k1", "k2", "missing"])  # a second connection sees both
    assert found["k1"] == CachedAnswer('{"a": 1}', 10, 3, 0.001)
    assert found["k2"].cost_usd is None and "missing" not in found
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_cache_get_many_handles_more_keys_than_sqlite_parameters(tmp_path):
    cache = LLMCache(tmp_path / "llm.sqlite")
    for i in range(1200):
        cache.put(f"k{i}", "m", CachedAnswer("{}", 1, 1, None))
    assert len(cache.get_many(f"k{i}" for i in range(0, 2400, 2))) == 600


def _results(failures: int, total: int) -> list[LLMResult]:
    return [
        LLMResult(i, str(i), i >= failures, error_kind="server_error" if i < failures else None)
        for i in range(total)
    ]


def test_check_failure_rate():
    check_failure_rate([], 0.0)
    check_failure_rate(_results(5, 100), 0.05)
    with pytest.raises(LLMError, match=r"6 of 100 LLM calls failed \(6\.0% > .*server_error: 6"):
        check_failure_rate(_results(6, 100), 0.05)
