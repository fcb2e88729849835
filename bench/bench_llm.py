"""Throughput of sftlab.llm against the scripted server (fixed 50 ms latency), and of cache hits.

Target (issue 5): with concurrency c, at least 0.7 x c / 0.05 requests/s up to c = 32; the cache hit
path at least 1,000 lookups/s. Prints one line per measurement with the ratio to its target, for
each transport (http: sftlab's own OpenAI-compatible client, the default for such servers; litellm),
with the client's CPU time per request. --baselines adds bare aiohttp and bare litellm.acompletion
at the largest c: the peers the two transports are measured against.

    .venv/bin/python bench/bench_llm.py [--concurrency 1 4 8 16 32] [--seconds 4] [--baselines]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from sftlab.llm import LLMClient, LLMSettings
from sftlab.llm.client import _background_loop
from sftlab.testing.llm_server import Echo, ask, start_subprocess

LATENCY_S = 0.05


def conversations(tag: str, n: int) -> list[list[dict[str, str]]]:
    return ask(*(f"{tag} question {i}" for i in range(n)))


def settings(url: str, cache: Path, concurrency: int, transport: str = "auto") -> LLMSettings:
    return LLMSettings(
        model="openai/bench-model", api_base=url, cache_path=str(cache), concurrency=concurrency,
        transport=transport,
    )  # fmt: skip


def timed(client: LLMClient, convs: list) -> tuple[float, float]:
    """(conversations per second, client CPU milliseconds per conversation)."""
    start, cpu = time.perf_counter(), time.process_time()
    results = client.run_json(convs, Echo)
    elapsed = time.perf_counter() - start
    assert all(r.ok for r in results), client.stats()
    return len(convs) / elapsed, 1000 * (time.process_time() - cpu) / len(convs)


async def bare(url: str, c: int, n: int, via: str) -> float:
    """Requests/s with no sftlab around: bare litellm.acompletion, or bare aiohttp (the floor)."""
    import aiohttp

    from sftlab.llm._litellm import litellm

    semaphore = asyncio.Semaphore(c)
    body = {"model": "bench-model", "max_tokens": 1024}
    async with aiohttp.ClientSession() as session:

        async def one(i: int) -> None:
            messages = [{"role": "user", "content": f"{via} {i}"}]
            async with semaphore:
                if via == "litellm":
                    await litellm().acompletion(
                        model="openai/bench-model", api_base=url, api_key="EMPTY",
                        messages=messages, max_retries=0, max_tokens=1024,
                    )  # fmt: skip
                else:
                    payload = body | {"messages": messages}
                    async with session.post(f"{url}/chat/completions", json=payload) as reply:
                        await reply.json()

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.perf_counter() - start)


def run_on_client_loop(coroutine):
    """Bare litellm on the loop the client uses, so both reuse the same HTTP sessions."""
    return asyncio.run_coroutine_threadsafe(coroutine, _background_loop()).result()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16, 32])
    parser.add_argument("--seconds", type=float, default=4.0, help="ideal duration per level")
    parser.add_argument(
        "--baselines", action="store_true", help="also bare litellm and bare aiohttp at max c"
    )
    args = parser.parse_args(argv)
    server = start_subprocess(latency_s=LATENCY_S)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "llm.sqlite"
            for transport in ("http", "litellm"):  # warm-up: imports, connections
                timed(
                    LLMClient(settings(server.url, cache, 4, transport)),
                    conversations(transport, 20),
                )
            for transport in ("http", "litellm"):
                for c in args.concurrency:
                    target = 0.7 * c / LATENCY_S
                    n = max(50, int(args.seconds * c / LATENCY_S))
                    client = LLMClient(settings(server.url, cache, c, transport))
                    rate, cpu_ms = timed(client, conversations(f"{transport} c{c}", n))
                    print(
                        f"{transport:<8s} c={c:<3d} n={n:<5d} {rate:8.1f}/s  "
                        f"target {target:6.1f}/s  ratio {rate / target:5.2f}  "
                        f"client CPU {cpu_ms:.2f} ms/request",
                        flush=True,
                    )
            if args.baselines:
                c = max(args.concurrency)
                n = max(50, int(args.seconds * c / LATENCY_S))
                target = 0.7 * c / LATENCY_S
                for via in ("litellm", "aiohttp"):
                    rate = run_on_client_loop(bare(server.url, c, n, via))
                    print(
                        f"bare {via:<8s} c={c:<3d} n={n:<5d} {rate:8.1f}/s  "
                        f"target {target:6.1f}/s  ratio {rate / target:5.2f}",
                        flush=True,
                    )
            n = 5000
            fill = LLMClient(settings(server.url, cache, max(args.concurrency)))
            timed(fill, conversations("hits", n))
            sent = server.requests
            hits = LLMClient(settings(server.url, cache, 8))
            rate, _ = timed(hits, conversations("hits", n))
            assert server.requests == sent and hits.stats()["cache_hits"] == n
            print(f"cache hits n={n} {rate:8.1f}/s  target 1000.0/s  ratio {rate / 1000:5.2f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
