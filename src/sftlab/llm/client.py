"""LLM client: bounded concurrency, retries, schema-checked JSON, a persistent cache.

    client = LLMClient(LLMSettings(**config["llm"]))
    results = client.run_json(conversations, Answer)      # one LLMResult per conversation, in order
    check_failure_rate(results, client.settings.max_failure_rate)
    write_json(stats_path, client.stats())

Each conversation is answered from the cache, or by requests with retries (exponential backoff
with jitter, honouring Retry-After) on rate limits, 5xx, timeouts and lost connections; other errors
fail at once. A reply that is not valid JSON for the schema gets one re-ask naming the problem, then
counts as a failure. Only successes are cached, so a re-run retries failures and nothing else.
Requests travel through litellm or, for OpenAI-compatible servers, sftlab's own HTTP transport
(transport.py; `llm.transport`); the cache key does not depend on the transport.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from sftlab.llm.answers import InvalidAnswer, classify, parse_answer, retry_after_s
from sftlab.llm.cache import CachedAnswer, LLMCache, cache_key
from sftlab.llm.keys import api_key
from sftlab.llm.results import FailureGate, LLMError, LLMResult
from sftlab.llm.settings import LLMSettings
from sftlab.llm.transport import HTTPTransport, Reply, Transport, open_transport
from sftlab.logs import Progress, redact

log = logging.getLogger(__name__)
Messages = list[dict[str, Any]]
REASK = (
    "Your previous reply could not be used: {error}. Reply again with only a JSON object that "
    "matches this JSON schema:\n{schema}"
)


@dataclass
class _Stats:
    conversations: int = 0
    succeeded: int = 0
    cache_hits: int = 0
    requests_sent: int = 0
    retries: int = 0
    reasks: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_requests: int = 0
    cache_saved_cost_usd: float = 0.0
    elapsed_s: float = 0.0


class _Failure(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class LLMClient:
    def __init__(self, settings: LLMSettings, logger: logging.Logger | None = None):
        self.settings = settings
        self.log = logger or log
        self.cache = LLMCache(settings.cache_path)
        self._stats = _Stats()
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
        self._rng = random.Random()

    def run_json(
        self,
        conversations: Sequence[Messages],
        schema: type[BaseModel],
        contexts: Sequence[Any] | None = None,
        label: str = "llm",
    ) -> list[LLMResult]:
        """Synchronous `arun_json`, run on a background event loop (safe inside a running loop)."""
        future = asyncio.run_coroutine_threadsafe(
            self.arun_json(conversations, schema, contexts, label), _background_loop()
        )
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    async def arun_json(
        self,
        conversations: Sequence[Messages],
        schema: type[BaseModel],
        contexts: Sequence[Any] | None = None,
        label: str = "llm",
    ) -> list[LLMResult]:
        """Answer every conversation with an object of `schema`; results keep the input order.

        `contexts[i]` is passed to pydantic validation of answer i (`info.context` in a validator),
        e.g. the gold letter an answer must keep; a mismatch is an invalid answer like any other.
        """
        start = time.perf_counter()
        schema_json = schema.model_json_schema()
        params = self.settings.output_params()
        keys = [cache_key(self.settings.model, list(c), params, schema_json) for c in conversations]
        contexts = list(contexts) if contexts is not None else [None] * len(conversations)
        hits = self.cache.get_many(keys)
        results: list[LLMResult | None] = [None] * len(conversations)
        todo = []
        for i, key in enumerate(keys):
            hit = hits.get(key)
            if hit is not None:
                try:
                    value = parse_answer(hit.text, schema, contexts[i])
                except InvalidAnswer:  # a validator changed meaning: ask again
                    todo.append(i)
                    continue
                results[i] = LLMResult(
                    i, key, True, value, hit.text, True, None, None, 0,
                    hit.prompt_tokens, hit.completion_tokens, hit.cost_usd,
                )  # fmt: skip
            else:
                todo.append(i)
        stats = self._stats
        stats.conversations += len(conversations)
        stats.cache_hits += len(conversations) - len(todo)
        stats.cache_saved_cost_usd += sum(r.cost_usd or 0.0 for r in results if r is not None)
        self.log.info(
            "%s: %d conversations, %d from the cache, %d to ask %s (%s transport)",
            label, len(conversations), len(conversations) - len(todo), len(todo),
            self.settings.model, self.settings.resolved_transport(),
        )  # fmt: skip
        gate = FailureGate(len(conversations), self.settings.max_failure_rate)
        for result in results:
            if result is not None:
                gate.record(result)
        if todo:
            transport = open_transport(self.settings, api_key(self.settings))
            where = where_requests_go(self.settings, transport)
            semaphore = self._semaphores.setdefault(
                asyncio.get_running_loop(), asyncio.Semaphore(self.settings.concurrency)
            )
            progress = Progress(len(todo), label, unit="conversations", logger=self.log)
            pending = iter(todo)

            async def worker() -> None:
                for i in pending:
                    if gate.stopped:
                        return
                    async with semaphore:
                        call = (list(conversations[i]), schema, contexts[i], transport, where, gate)
                        try:
                            results[i] = await self._answer(i, keys[i], *call)
                        except Exception as error:  # noqa: BLE001 - one item, not the batch
                            message = f"{type(error).__name__}: {error}"
                            results[i] = self._fail(LLMResult(i, keys[i], False), "other", message)
                    gate.record(results[i])
                    progress.update()

            workers = min(self.settings.concurrency, len(todo))
            try:
                await asyncio.gather(*(worker() for _ in range(workers)))
            finally:
                await transport.close()
        stats.succeeded += sum(1 for r in results if r is not None and r.ok)
        stats.elapsed_s += time.perf_counter() - start
        if gate.stopped:
            self.log.error("%s: %s", label, gate.stopped)
            raise LLMError(f"{label}: {gate.stopped}")
        return [r for r in results if r is not None]

    def stats(self) -> dict[str, Any]:
        """Counters summed over every call of this client, as plain values for a stats JSON."""
        s = self._stats
        return {
            "model": self.settings.model,
            "conversations": s.conversations,
            "succeeded": s.succeeded,
            "failed": sum(s.failures.values()),
            "failures_by_kind": dict(s.failures),
            "cache_hits": s.cache_hits,
            "requests_sent": s.requests_sent,
            "retries": s.retries,
            "reasks": s.reasks,
            "prompt_tokens": s.prompt_tokens,
            "completion_tokens": s.completion_tokens,
            "cost_usd": round(s.cost_usd, 6),
            "unpriced_requests": s.unpriced_requests,
            "cache_saved_cost_usd": round(s.cache_saved_cost_usd, 6),
            "elapsed_s": round(s.elapsed_s, 3),
        }

    def close(self) -> None:
        self.cache.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def _answer(
        self,
        index: int,
        key: str,
        messages: Messages,
        schema: type[BaseModel],
        context: Any,
        transport: Transport,
        where: str,
        gate: FailureGate,
    ) -> LLMResult:
        result = LLMResult(index, key, False)
        for ask in range(2):
            try:
                text = await self._complete(messages, transport, result, where, gate)
            except _Failure as failure:
                return self._fail(result, failure.kind, str(failure))
            try:
                result.value = parse_answer(text, schema, context)
            except InvalidAnswer as problem:
                result.text = text[:2000]  # enough to see what went wrong in a failures file
                if ask == 1 or gate.stopped:
                    return self._fail(result, "invalid_output", str(problem))
                self._stats.reasks += 1
                reask = REASK.format(error=problem, schema=json.dumps(schema.model_json_schema()))
                messages = messages + [
                    {"role": "assistant", "content": text},
                    {"role": "user", "content": reask},
                ]
                continue
            result.ok, result.text = True, text
            answer = CachedAnswer(
                text, result.prompt_tokens, result.completion_tokens, result.cost_usd
            )
            self.cache.put(key, self.settings.model, answer)
            return result
        raise AssertionError("unreachable")

    def _fail(self, result: LLMResult, kind: str, message: str) -> LLMResult:
        result.error_kind, result.error = kind, redact(message)[:500]
        self._stats.failures[kind] += 1
        level = logging.DEBUG if kind == "cancelled" else logging.WARNING  # the gate said why
        self.log.log(level, "conversation %d failed (%s): %s", result.index, kind, result.error)
        return result

    async def _complete(
        self, messages: Messages, transport: Transport, result: LLMResult, where: str, gate
    ) -> str:
        """One reply text, secrets redacted; retries transient errors, else raises _Failure."""
        retries = self.settings.max_retries
        for attempt in range(retries + 1):
            if gate.stopped:  # the job fails anyway: do not spend more requests
                raise _Failure("cancelled", f"not retried: {gate.stopped}")
            self._stats.requests_sent += 1
            result.requests += 1
            try:
                reply = await transport.complete(messages)
            except Exception as error:  # noqa: BLE001 - classified below, never swallowed
                kind, retryable = classify(error)
                message = f"{type(error).__name__}: {error}"
                if where not in message:
                    message += f" [{where}]"
                if not retryable or attempt == retries:
                    raise _Failure(kind, message) from None
                self._stats.retries += 1
                await asyncio.sleep(self._backoff(attempt, retry_after_s(error)))
                continue
            self._account(reply, result)
            # a server echoing the Authorization header must not put the key into the cache,
            # a failures file or the re-ask
            return redact(reply.text)
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        s = self.settings
        delay = min(s.backoff_max_s, s.backoff_base_s * 2**attempt) * self._rng.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, min(retry_after, s.backoff_max_s))
        return delay

    def _account(self, reply: Reply, result: LLMResult) -> None:
        result.prompt_tokens += reply.prompt_tokens
        result.completion_tokens += reply.completion_tokens
        self._stats.prompt_tokens += reply.prompt_tokens
        self._stats.completion_tokens += reply.completion_tokens
        if reply.cost_usd is None:
            self._stats.unpriced_requests += 1
        else:
            result.cost_usd = (result.cost_usd or 0.0) + reply.cost_usd
            self._stats.cost_usd += reply.cost_usd


def where_requests_go(settings: LLMSettings, transport: Transport) -> str:
    """The URL (or provider) that failure messages name."""
    if isinstance(transport, HTTPTransport):
        return transport.url
    return settings.api_base or f"{settings.model.partition('/')[0]} provider API"


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    """One long-lived loop for synchronous callers: HTTP clients and sessions belong to a loop."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="sftlab-llm", daemon=True).start()
        return _loop
