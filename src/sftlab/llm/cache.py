"""Persistent, content-addressed cache of LLM answers in SQLite.

The key is a sha256 of everything that determines an answer: model, messages, output parameters
and the JSON schema of the expected reply. Not in the key: api_base, timeouts, retries and
concurrency, so the same request to a restarted local server (new port) still hits. Each answer is
committed as it arrives, in WAL mode, so a killed run keeps what finished and several jobs may share
one file. Only answers are stored (text, token usage, cost): never request headers or keys.

Opening is serialised across processes by an advisory lock on a `<cache>.lock` file beside it:
switching a fresh file to WAL takes an exclusive lock for which SQLite does not always wait, so
jobs starting together could fail with "database is locked". WAL also needs working POSIX locks
and shared memory; where the file system lacks them (some network file systems) the cache refuses
to open, naming the path and the fix, rather than risk a corrupt file.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sftlab.llm.results import LLMError

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
        self._lock = threading.Lock()
        with _open_lock(self.path):
            try:
                self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
                mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                self._db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process
                self._db.execute(SCHEMA)
                self._db.commit()
            except sqlite3.OperationalError as error:  # I/O or locking protocol errors
                raise _unusable(self.path, str(error)) from error
        if mode.lower() != "wal":
            self._db.close()
            raise _unusable(self.path, f"SQLite could not switch it to WAL (journal mode {mode})")

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


def _unusable(path: Path, why: str) -> LLMError:
    return LLMError(
        f"LLM cache {path}: {why}. The cache needs a file system with working POSIX locks and "
        "shared memory (SQLite WAL); network file systems often lack them. Set llm.cache_path "
        "to a local disk (e.g. /tmp or node-local scratch)."
    )


class _open_lock:
    """An exclusive advisory lock on `<cache>.lock` while a process opens the cache."""

    def __init__(self, path: Path):
        self.path = path.with_name(path.name + ".lock")

    def __enter__(self) -> None:
        self.handle = open(self.path, "a+b")  # noqa: SIM115 - closed in __exit__
        try:
            fcntl.lockf(self.handle, fcntl.LOCK_EX)
        except OSError as error:
            self.handle.close()
            if error.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                raise _unusable(self.path.with_suffix(""), f"no file locks ({error})") from None
            raise

    def __exit__(self, *exc: object) -> None:
        fcntl.lockf(self.handle, fcntl.LOCK_UN)
        self.handle.close()
