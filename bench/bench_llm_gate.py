"""Requests an LLM job spends on a hopeless endpoint before the failure gate stops it.

    python bench/bench_llm_gate.py

100 items against sftlab.testing.llm_server answering 503 (or 401) to everything, through the http
transport with concurrency 8 and max_failure_rate 0.05 (the defaults), fast backoff. Prints the
requests sent and the ratio to what the job sent before the gate (every item tried max_retries + 1
times for 503, once for 401).
"""

from __future__ import annotations

import tempfile

from sftlab.llm import LLMClient, LLMError, LLMSettings
from sftlab.testing.llm_server import Echo, ScriptedLLMServer, ask

ITEMS = 100


def requests_sent(behaviour: str, max_retries: int) -> tuple[int, str]:
    with ScriptedLLMServer(behaviour=lambda messages, seen: behaviour) as server:
        with tempfile.TemporaryDirectory() as folder:
            settings = LLMSettings(
                model="openai/bench", api_base=server.url, transport="http",
                max_retries=max_retries, backoff_base_s=0.01, cache_path=f"{folder}/llm.sqlite",
            )  # fmt: skip
            conversations = ask(*(f"item {i}" for i in range(ITEMS)))
            try:
                LLMClient(settings).run_json(conversations, Echo)
                reason = "not stopped"
            except LLMError as error:
                reason = str(error).split(";")[0]
        return server.requests, reason


def main() -> None:
    for behaviour in ("503", "401"):
        for max_retries in (2, 5):
            sent, reason = requests_sent(behaviour, max_retries)
            before = ITEMS * (max_retries + 1) if behaviour == "503" else ITEMS
            print(
                f"{behaviour}, max_retries {max_retries}: {sent} requests for {ITEMS} items "
                f"(before the gate {before}; ratio {sent / before:.2f}) - {reason}"
            )


if __name__ == "__main__":
    main()
