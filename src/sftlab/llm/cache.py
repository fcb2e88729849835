"""Persistent, content-addressed cache of LLM answers in SQLite.

The key is a sha256 of everything that determines an answer: model, messages, output parameters
and the JSON schema of the expected reply. Not in the key: api_base, timeouts, retries and
concurrency, so the same request to a restarted local server (new port) still hits. Each answer is
committed as it arrives, in WAL mode, so a killed run keeps what finished and several jobs may share
one file. Only answers are stored (text, token usage, cost): never request headers or keys.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost_usd REAL,
    created REAL NOT NULL
)
"""


def cache_key(
    model: str, messages: list[dict[str, Any]], params: dict[str, Any], schema: dict[str, Any]
) -> str:
    payload = {"model": model, "messages": messages, "params": params, "schema": schema}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None


class LLMCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one connection used from the client's event-loop thread; the lock guards other callers
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process, no fsync
            self._db.execute(SCHEMA)
            self._db.commit()

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedAnswer]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, CachedAnswer] = {}
        with self._lock:
            for start in range(0, len(keys), 500):  # SQLite caps bound parameters per statement
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    "SELECT key, text, prompt_tokens, completion_tokens, cost_usd FROM answers "
                    f"WHERE key IN ({marks})",
                    chunk,
                )
                for key, *answer in rows:
                    found[key] = CachedAnswer(*answer)
        return found

    def put(self, key: str, model: str, answer: CachedAnswer) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    model,
                    answer.text,
                    answer.prompt_tokens,
                    answer.completion_tokens,
                    answer.cost_usd,
                    time.time(),
                ),
            )
            self._db.commit()

    def delete(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM answers WHERE key = ?", (key,))
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
