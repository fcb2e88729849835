"""A scripted OpenAI-compatible chat server for tests and benchmarks (stdlib server, no engine).

Serves POST /v1/chat/completions (and /chat/completions) on 127.0.0.1 with a free port, and
GET /stats with the request counters. What each request gets is scripted:

- a marker in a user message, `[[behave:NAME]]` (every request) or `[[behave:NAMExK]]` (the first
  K requests whose conversation carries that message, then `ok`); counts are kept per marked
  message, so a retry or a re-ask of the same conversation sees the next step;
- else `behaviour(messages, seen)` if given (seen: earlier requests with that first user message);
- else `ok`.

Behaviours: ok (the `answer` callable maps messages to the content), fenced (the answer inside a
```json fence), malformed (content that is not JSON), 429 (with Retry-After), 500, 503, 400, 401,
slow (answers after `slow_s`, past a client's timeout), notchat (a 200 whose body is not a chat
completion). Hostile ones: echoauth (the answer, then the request's Authorization header),
echoautherr (a 500 whose body carries the header across its 300th character), echoauthbad (not
JSON, with the header), nested (100,000 nested brackets), huge (a 5 MiB answer), nonstring
(content is an object).

In-process:  with ScriptedLLMServer(answer=fn, latency_s=0.05) as server: server.url, .requests
Subprocess:  server = start_subprocess(latency_s=0.05); ...; server.stop()   (see `main` for flags)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

MARKER = re.compile(r"\[\[behave:([a-z0-9]+?)(?:x(\d+))?\]\]")
Messages = list[dict[str, Any]]


def last_user_text(messages: Messages) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


def echo_answer(messages: Messages) -> str:
    """Default answer: {"echo": <first user message without markers>}."""
    first = next((str(m.get("content", "")) for m in messages if m.get("role") == "user"), "")
    return json.dumps({"echo": MARKER.sub("", first).strip()})


# The default answer as a client parses it. No docstring: pydantic would put it into the reply
# schema as a description, and that schema is part of every cache key.
class Echo(BaseModel):
    echo: str


def ask(*texts: str) -> list[Messages]:
    """One conversation per text: a single user turn."""
    return [[{"role": "user", "content": text}] for text in texts]


class ScriptedLLMServer:
    def __init__(
        self,
        answer: Callable[[Messages], str] = echo_answer,
        behaviour: Callable[[Messages, int], str] | None = None,
        latency_s: float = 0.0,
        slow_s: float = 2.0,
        retry_after_s: float = 0.0,
    ):
        self.answer = answer
        self.behaviour = behaviour
        self.latency_s = latency_s
        self.slow_s = slow_s
        self.retry_after_s = retry_after_s
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()
        self.reset()
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The api_base to give a client."""
        return f"http://127.0.0.1:{self.port}/v1"

    def reset(self) -> None:
        """Zero the counters (the per-message behaviour steps too)."""
        with self._lock:
            self.requests = 0
            self.behaviours: Counter[str] = Counter()
            self.authorizations: list[str] = []
            self.prompts: list[str] = []  # last user message of each request, in arrival order
            self.params: list[dict[str, Any]] = []  # each request body less its messages
            self._seen.clear()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "behaviours": dict(self.behaviours),
                "authorizations": list(self.authorizations),
                "prompts": list(self.prompts),
            }

    def start(self) -> ScriptedLLMServer:
        """Listen on a free port of 127.0.0.1, serving from a daemon thread."""

        async def listen() -> None:
            self._server = await asyncio.start_server(
                lambda r, w: _serve_connection(self, r, w), "127.0.0.1", 0
            )
            self.port = self._server.sockets[0].getsockname()[1]

        self._loop.run_until_complete(listen())
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def choose(self, messages: Messages) -> str:
        """Pick this request's behaviour and count the request (thread-safe)."""
        with self._lock:
            self.requests += 1
            self.prompts.append(last_user_text(messages))
            users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
            for text in users:
                match = MARKER.search(text)
                if match:
                    name, times = match.group(1), match.group(2)
                    step = self._seen[text]
                    self._seen[text] += 1
                    chosen = name if times is None or step < int(times) else "ok"
                    break
            else:
                key = users[0] if users else ""
                seen = self._seen[key]
                self._seen[key] += 1
                chosen = self.behaviour(messages, seen) if self.behaviour else "ok"
            self.behaviours[chosen] += 1
            return chosen


def _completion(model: str, messages: Messages, content: str) -> dict[str, Any]:
    prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
    completion_tokens = len(content) // 4 + 1
    return {
        "id": f"chatcmpl-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


ERRORS = {
    "429": (429, "rate_limit_exceeded", "Rate limit reached, slow down"),
    "500": (500, "server_error", "The server had an error"),
    "503": (503, "server_error", "The server is overloaded"),
    "400": (400, "invalid_request_error", "Bad request"),
    "401": (401, "invalid_api_key", "Incorrect API key provided"),
}


class _Request:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.method, self.path, self.headers, self.body = method, path, headers, body


class _NotHTTP(Exception):
    """A TLS handshake sent to this plain-http server (an https:// api_base)."""


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    first = await reader.readexactly(1)
    if first == b"\x16":  # a TLS ClientHello record
        raise _NotHTTP
    head = first + await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    return _Request(method, path, headers, body)


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> bytes:
    data = json.dumps(body).encode()
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "Content-Type: application/json"]
    lines += [f"Content-Length: {len(data)}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _respond(server: ScriptedLLMServer, request: _Request) -> bytes:
    route = request.path.split("?")[0].rstrip("/")
    if request.method == "GET" and route == "/stats":
        return _response(200, server.stats())
    if request.method != "POST" or route not in ("/v1/chat/completions", "/chat/completions"):
        return _response(404, {"error": {"message": f"no route {request.method} {route}"}})
    body = json.loads(request.body or b"{}")
    messages = body.get("messages", [])
    with server._lock:
        server.authorizations.append(request.headers.get("authorization", ""))
        server.params.append({k: v for k, v in body.items() if k != "messages"})
    kind = server.choose(messages)
    auth = request.headers.get("authorization", "")
    if server.latency_s:
        await asyncio.sleep(server.latency_s)
    if kind in ERRORS:
        status, code, message = ERRORS[kind]
        headers = {"Retry-After": str(server.retry_after_s)} if status == 429 else None
        return _response(
            status, {"error": {"message": message, "type": code, "code": code}}, headers
        )
    if kind == "echoautherr":
        return _response(500, {"error": {"message": "x" * 250 + f" you sent {auth}"}})
    if kind == "slow":
        await asyncio.sleep(server.slow_s)
    if kind == "notchat":  # a 200 whose body is not a chat completion (e.g. a proxy's page)
        return _response(200, {"status": "ok", "detail": "maintenance"})
    content = server.answer(messages)
    if kind == "fenced":
        content = f"Here it is:\n```json\n{content}\n```"
    elif kind == "malformed":
        content = "Sure! {answer: not quite json"
    elif kind == "echoauth":
        content = f"{content}\nYou authenticated with: {auth}"
    elif kind == "echoauthbad":
        content = f"Not JSON, but your header: {auth}"
    elif kind == "nested":
        content = "[" * 100_000 + "]" * 100_000
    elif kind == "huge":
        content = json.dumps({"echo": "y" * (5 << 20)})
    elif kind == "nonstring":
        content = {"echo": "an object where a string belongs"}
    return _response(200, _completion(body.get("model", "test-model"), messages, content))


async def _serve_connection(
    server: ScriptedLLMServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            request = await _read_request(reader)
            writer.write(await _respond(server, request))
            await writer.drain()
    except _NotHTTP:  # answer as plain-http servers do: the client's TLS layer fails on it
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


class SubprocessServer:
    """Handle on a server in a child process (no GIL shared with the client, as in a benchmark)."""

    def __init__(self, process: subprocess.Popen, port: int):
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}/v1"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as reply:
            return json.loads(reply.read())

    @property
    def requests(self) -> int:
        return self.stats()["requests"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_subprocess(latency_s: float = 0.0, slow_s: float = 2.0) -> SubprocessServer:
    """Start the echo server in a child process; returns once it accepts requests."""
    command = [
        sys.executable,
        "-m",
        __name__,
        "--latency-s",
        str(latency_s),
        "--slow-s",
        str(slow_s),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"test server did not start: {line!r}")
    return SubprocessServer(process, int(line.split()[1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-s", type=float, default=0.0)
    parser.add_argument("--slow-s", type=float, default=2.0)
    args = parser.parse_args(argv)
    server = ScriptedLLMServer(latency_s=args.latency_s, slow_s=args.slow_s).start()
    print(f"PORT {server.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
