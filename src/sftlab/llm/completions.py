"""A client for OpenAI-compatible legacy text completions (`POST {api_base}/completions`).

Chat models are served by transport.py; probing a base model needs the raw prompt continued, which
is the legacy completions endpoint (vllm serve, SGLang, TGI, llama.cpp, transformers serve all
offer it). One aiohttp session per batch, at most `concurrency` requests in flight, retries with
exponential backoff and jitter (honouring Retry-After) on the failures `answers.classify` calls
retryable (429, 5xx, timeouts, lost connections); other errors fail at once, naming the URL.

`n` samples per request where the server honours `n`; a server that returns fewer choices than
asked (transformers serve ignores `n`) gets the rest as repeated single requests, each with its
own seed, and is asked one at a time from then on.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sftlab.llm.answers import classify, retry_after_s
from sftlab.llm.transport import EndpointError, env_proxy


@dataclass(frozen=True)
class Choice:
    text: str
    finish_reason: str  # "stop" or "length", as the server says
    stop_reason: str | None = None  # the stop string that ended it, where the server reports it


@dataclass
class CompletionsClient:
    api_base: str
    model: str  # the name the server knows the model by
    api_key: str = "EMPTY"
    concurrency: int = 32
    max_retries: int = 5
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    timeout_s: float = 300.0
    extra_body: dict[str, Any] = field(default_factory=dict)  # server-specific request fields
    n_supported: bool | None = None  # None: unknown until the first reply with n > 1
    requests_sent: int = 0
    retries: int = 0

    @property
    def url(self) -> str:
        return self.api_base.rstrip("/") + "/completions"

    def complete_all(
        self,
        bodies: Sequence[dict[str, Any]],
        samples: int,
        seed: int,
        on_done: Callable[[int], None] | None = None,
    ) -> list[list[Choice]]:
        """`samples` choices per request body (prompt and sampling fields: temperature, top_p,
        max_tokens, stop), in order; body i's requests are seeded seed + i * samples + k.
        `on_done(1)` after each body's choices are in.
        """
        return asyncio.run(self._all(bodies, samples, seed, on_done))

    async def _all(self, bodies, samples, seed, on_done) -> list[list[Choice]]:
        import aiohttp

        self._semaphore = asyncio.Semaphore(self.concurrency)
        self._rng = random.Random(seed)
        async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            connector=aiohttp.TCPConnector(limit=self.concurrency),
            proxy=env_proxy(self.url),
        ) as session:

            async def one(i: int, body: dict[str, Any]) -> list[Choice]:
                base = {**body, **self.extra_body, "model": self.model}
                out = await self._post(session, base, samples, seed + i * samples)
                if len(out) < samples:
                    rest = [
                        self._post(session, base, 1, seed + i * samples + k)
                        for k in range(len(out), samples)
                    ]
                    out += [c for chunk in await asyncio.gather(*rest) for c in chunk]
                if on_done is not None:
                    on_done(1)
                return out[:samples]

            return list(await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies))))

    async def _post(self, session, base: dict[str, Any], n: int, seed: int) -> list[Choice]:
        if self.n_supported is False:
            n = 1
        payload = {**base, "seed": seed, **({"n": n} if n > 1 else {})}
        for attempt in range(self.max_retries + 1):
            try:
                async with self._semaphore:
                    self.requests_sent += 1
                    choices = await self._send(session, payload)
                break
            except Exception as error:  # noqa: BLE001 - classify decides, the rest re-raise
                kind, retryable = classify(error)
                if not retryable or attempt == self.max_retries:
                    raise EndpointError(
                        getattr(error, "status_code", 0),
                        f"{kind} from {self.url} after {attempt + 1} attempt(s): {error}",
                    ) from error
                self.retries += 1
                await asyncio.sleep(self._backoff(attempt, retry_after_s(error)))
        if n > 1 and self.n_supported is None:
            self.n_supported = len(choices) >= n
        return choices

    async def _send(self, session, payload: dict[str, Any]) -> list[Choice]:
        async with session.post(self.url, json=payload) as reply:
            raw = await reply.read()
            status = reply.status
            retry_after = reply.headers.get("Retry-After")
        if status >= 400:
            text = raw.decode("utf-8", "replace")[:300]
            seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise EndpointError(status, f"HTTP {status} from {self.url}: {text}", seconds)
        try:
            choices = json.loads(raw)["choices"]
            return [
                Choice(
                    c.get("text") or "",
                    c.get("finish_reason") or "stop",
                    c["stop_reason"] if isinstance(c.get("stop_reason"), str) else None,
                )
                for c in sorted(choices, key=lambda c: c.get("index", 0))
            ]
        except (ValueError, KeyError, TypeError, AttributeError):
            snippet = raw.decode("utf-8", "replace")[:300]
            raise EndpointError(
                status, f"unreadable reply from {self.url} (not a text completion): {snippet}"
            ) from None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = min(self.backoff_max_s, self.backoff_base_s * 2**attempt)
        delay *= self._rng.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max_s))
        return delay
