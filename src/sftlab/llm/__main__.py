"""Check the configured LLM endpoint with one request before a long run.

    python -m sftlab.llm                                   # config/config.yaml
    python -m sftlab.llm --configfile config/paper_silly.yaml my_llm.yaml

Later config files override earlier ones, as with `snakemake --configfile`. The request asks for a
small JSON object and bypasses the answer cache (a check must reach the server); it prints the
transport, the URL or provider, the latency, the token counts and whether the reply is valid JSON.
Exit status 0 when the answer is usable, 1 otherwise (the failure kind and message are printed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from pydantic import BaseModel

from sftlab.config import ConfigError, deep_merge, validate_config
from sftlab.io import read_yaml
from sftlab.llm import _litellm
from sftlab.llm.answers import InvalidAnswer, classify, parse_answer
from sftlab.llm.keys import api_key
from sftlab.llm.results import LLMError
from sftlab.llm.settings import LLMSettings
from sftlab.llm.transport import HTTPTransport, open_transport

ROOT = Path(__file__).resolve().parents[3]
QUESTION = (
    'Reply with only this JSON object, nothing else: {"ok": true, "capital_of_france": "..."}'
)


class CheckAnswer(BaseModel):
    ok: bool
    capital_of_france: str


def load_settings(configfiles: list[str]) -> LLMSettings:
    config: dict = {}
    for path in configfiles:
        config = deep_merge(config, read_yaml(path) or {})
    validate_config(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    return LLMSettings(**config["llm"])


async def check(settings: LLMSettings) -> int:
    transport = open_transport(settings, api_key(settings))
    where = transport.url if isinstance(transport, HTTPTransport) else "litellm"
    print(f"model {settings.model} via the {settings.resolved_transport()} transport ({where})")
    start = time.perf_counter()
    try:
        reply = await transport.complete([{"role": "user", "content": QUESTION}])
    except Exception as error:  # noqa: BLE001 - reported with its failure kind
        kind, retryable = classify(error)
        message = _litellm.redact(f"{type(error).__name__}: {error}")[:500]
        print(f"FAILED ({kind}{', retryable' if retryable else ''}): {message}")
        return 1
    finally:
        await transport.close()
    elapsed = time.perf_counter() - start
    cost = "unpriced" if reply.cost_usd is None else f"${reply.cost_usd:.6f}"
    print(
        f"answered in {elapsed:.2f} s, {reply.prompt_tokens} prompt + "
        f"{reply.completion_tokens} completion tokens, {cost}"
    )
    print(f"reply: {reply.text[:300]!r}")
    try:
        parse_answer(reply.text, CheckAnswer)
    except InvalidAnswer as problem:
        print(f"FAILED (invalid_output): {problem}; a run would re-ask once, then record a failure")
        return 1
    print("OK: the reply is valid JSON for the requested schema")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configfile", nargs="+", default=[str(ROOT / "config" / "config.yaml")],
        help="config files, later ones overriding earlier ones (default: config/config.yaml)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.configfile)
        return asyncio.run(check(settings))
    except (ConfigError, LLMError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
