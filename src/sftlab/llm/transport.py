"""How one request reaches the model: through litellm, or straight to an OpenAI-compatible server.

Both transports turn messages into a `Reply` and let errors through for `answers.classify`; retries,
re-asks and the cache are the client's. litellm serves any provider but costs 4-8 ms of CPU per
request (request and response translation, cost lookup, logging hooks), which caps one process near
150-250 requests/s; the `http` transport posts the OpenAI chat-completions body itself (0.3-0.6 ms),
which is what a local vLLM, SGLang, llama.cpp or TGI server needs to be kept busy.
bench/bench_llm.py measures both.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from sftlab.llm import _litellm
from sftlab.llm.settings import LLMSettings

Messages = list[dict[str, Any]]
# A reply above this is refused unread and never echoed back in a re-ask: max_tokens 1024 is ~4 KB
# of text, so 4 MiB leaves a 1000x margin and still bounds a job's memory against a runaway server.
MAX_REPLY_BYTES = 4 << 20


@dataclass
class Reply:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # None: the provider has no price for this model


class EndpointError(Exception):
    """An error reply (status >= 400) or an unreadable one from an OpenAI-compatible server."""

    def __init__(self, status_code: int, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class OversizedReply(Exception):
    """A reply larger than MAX_REPLY_BYTES: refused, not retried, not re-asked."""


class Transport(Protocol):
    async def complete(self, messages: Messages) -> Reply: ...

    async def close(self) -> None: ...


def open_transport(settings: LLMSettings, api_key: str) -> Transport:
    """The transport `settings.transport` names (call inside the event loop that will use it)."""
    if settings.resolved_transport() == "http":
        return HTTPTransport(settings, api_key)
    return LiteLLMTransport(settings, api_key)


class LiteLLMTransport:
    def __init__(self, settings: LLMSettings, api_key: str):
        self._litellm = _litellm.litellm()
        kwargs: dict[str, Any] = {
            "model": settings.model,
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
            "timeout": settings.timeout_s,
            "max_retries": 0,  # retries are the client's, counted and logged
            "drop_params": True,  # e.g. seed or response_format where a provider lacks them
            "api_key": api_key,
        }
        if settings.api_base:
            kwargs["api_base"] = settings.api_base
        kwargs.update(_optional_params(settings))
        self._kwargs = kwargs

    async def complete(self, messages: Messages) -> Reply:
        response = await self._litellm.acompletion(messages=messages, **self._kwargs)
        usage = getattr(response, "usage", None)
        # litellm prices every response already; a second completion_cost() would double the CPU
        cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
        content = response.choices[0].message.content or ""
        if not isinstance(content, str):
            raise EndpointError(200, f"unreadable reply (content is a {type(content).__name__})")
        if len(content.encode("utf-8")) > MAX_REPLY_BYTES:  # litellm has read it already
            raise OversizedReply(f"reply of {len(content)} characters > {MAX_REPLY_BYTES} bytes")
        return Reply(
            content,
            int(getattr(usage, "prompt_tokens", 0) or 0),
            int(getattr(usage, "completion_tokens", 0) or 0),
            None if cost is None else float(cost),
        )

    async def close(self) -> None:
        """litellm keeps its HTTP clients per event loop; nothing to release per batch."""


class HTTPTransport:
    """POST {api_base}/chat/completions over one aiohttp session (kept open for a batch)."""

    def __init__(self, settings: LLMSettings, api_key: str):
        import aiohttp

        if not settings.api_base:
            raise ValueError("the http transport needs api_base")
        _litellm.quiet_loggers()
        self.url = settings.api_base.rstrip("/") + "/chat/completions"
        self._body: dict[str, Any] = {
            "model": settings.served_model(),
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
            **_optional_params(settings),
        }
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=aiohttp.ClientTimeout(total=settings.timeout_s),
            connector=aiohttp.TCPConnector(limit=settings.concurrency),
            proxy=env_proxy(self.url),
        )

    async def complete(self, messages: Messages) -> Reply:
        async with self._session.post(self.url, json={**self._body, "messages": messages}) as reply:
            declared = reply.content_length
            if declared is not None and declared > MAX_REPLY_BYTES:
                raise OversizedReply(
                    f"reply of {declared} bytes from {self.url} > {MAX_REPLY_BYTES} (not read)"
                )
            raw = await _read_capped(reply.content, self.url)  # chunked replies declare no length
            status, retry_after = reply.status, _seconds(reply.headers.get("Retry-After"))
        if status >= 400:
            message = f"HTTP {status} from {self.url}: {_snippet(raw)}"
            raise EndpointError(status, message, retry_after)
        try:
            body = json.loads(raw)
            message = body["choices"][0]["message"]
            usage = body.get("usage") or {}
            content = message.get("content") or ""
            if not isinstance(content, str):
                raise TypeError(f"content is a {type(content).__name__}")
            return Reply(
                content,
                int(usage.get("prompt_tokens") or 0),
                int(usage.get("completion_tokens") or 0),
            )
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError):
            raise EndpointError(
                status, f"unreadable reply from {self.url} (not a chat completion): {_snippet(raw)}"
            ) from None

    async def close(self) -> None:
        await self._session.close()


async def _read_capped(stream: Any, url: str) -> bytes:
    chunks, size = [], 0
    async for chunk in stream.iter_chunked(1 << 16):
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise OversizedReply(f"reply from {url} over {MAX_REPLY_BYTES} bytes (refused)")
        chunks.append(chunk)
    return b"".join(chunks)


def env_proxy(url: str) -> str | None:
    """The proxy HTTP(S)_PROXY and NO_PROXY give for `url`, as litellm's httpx clients read them.

    Resolved once per session: aiohttp's trust_env would redo it (and parse ~/.netrc) per request,
    which costs 0.8 ms of CPU each, more than the rest of the transport.
    """
    parts = urllib.parse.urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return urllib.request.getproxies().get(parts.scheme)


def _optional_params(settings: LLMSettings) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if settings.top_p is not None:
        params["top_p"] = settings.top_p
    if settings.seed is not None:
        params["seed"] = settings.seed
    if settings.json_mode:
        params["response_format"] = {"type": "json_object"}
    return params


def _snippet(raw: bytes, limit: int = 300) -> str:
    # redaction first: a key cut in half by the limit would no longer match a registered secret
    text = _litellm.redact(raw.decode("utf-8", "replace").strip())
    return text if len(text) <= limit else text[:limit] + "..."


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
