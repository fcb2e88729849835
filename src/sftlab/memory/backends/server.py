"""The `server` backend: any OpenAI-compatible `/v1/completions` endpoint.

The server holds the weights (vllm serve, SGLang, TGI, llama.cpp, transformers serve); sftlab sends
each prompt with the probe's sampling settings through sftlab.llm.completions (bounded
concurrency, retries, `n` where honoured). The API key comes from the environment variable
`api_key_env` names, as for the llm section; with none named, no key is sent ("EMPTY"). Where
the API base and the served name point is not part of the shard key (the model entry is);
`extra_body`, which can change sampling, is.

Stop-on-hit sends the gold forms as stop strings. Servers differ in what they return then: vLLM
and SGLang strip the stop string and report it as `stop_reason`, which is appended back, so the
recorded text is what the model wrote; transformers serve keeps it in the text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sftlab.evaluate.match import MatchSettings
from sftlab.llm.client import api_key
from sftlab.llm.completions import Choice, CompletionsClient
from sftlab.llm.settings import LLMSettings
from sftlab.memory.backends import Sample, SamplingRequest
from sftlab.memory.backends.hits import stop_strings


class ServerBackend:
    def __init__(
        self,
        api_base: str,
        model: str,
        api_key_env: str | None = None,
        concurrency: int = 32,
        max_retries: int = 5,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
        timeout_s: float = 300.0,
        extra_body: dict[str, Any] | None = None,
        match: MatchSettings | None = None,
    ):
        key = api_key(
            LLMSettings(model=f"openai/{model}", api_base=api_base, api_key_env=api_key_env)
        )
        self.match = match or MatchSettings()
        self.client = CompletionsClient(
            api_base,
            model,
            key,
            concurrency,
            max_retries,
            backoff_base_s,
            backoff_max_s,
            timeout_s,
            dict(extra_body or {}),
        )

    def identity(self) -> dict[str, Any]:
        return {"backend": "server", "extra_body": self.client.extra_body}

    def sample(
        self, request: SamplingRequest, on_batch: Callable[[int], None] | None = None
    ) -> list[list[Sample]]:
        body: dict[str, Any] = {
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_new_tokens,
        }
        if request.top_k > 0:
            body["top_k"] = request.top_k  # not OpenAI's; vLLM and SGLang read it
        hit_stops = [
            stop_strings(gold, self.match) if request.stop_on_hit else [] for gold in request.gold
        ]
        bodies = []
        for prompt, hits in zip(request.prompts, hit_stops, strict=True):
            stop = list(request.stop) + [s for s in hits if s not in request.stop]
            bodies.append({**body, "prompt": prompt, **({"stop": stop} if stop else {})})
        choices = self.client.complete_all(bodies, request.samples, request.seed, on_batch)
        return [
            [_sample(c, hits) for c in row] for row, hits in zip(choices, hit_stops, strict=True)
        ]


def _sample(choice: Choice, hit_stops: list[str]) -> Sample:
    text, reason = choice.text, choice.stop_reason
    if reason is not None and reason in hit_stops:
        if reason not in text:  # stripped by the server: put back what the model wrote
            text += reason
        return Sample(text, "hit")
    if choice.finish_reason == "length":
        return Sample(text, "length")
    # a server that keeps stop strings and does not name them (transformers serve)
    return Sample(text, "hit" if any(s in text for s in hit_stops) else "stop")
