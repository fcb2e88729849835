"""Where probe samples come from: one interface, three engines.

- `hf`: sftlab's decode loop on a transformers model in this process (sftlab.lm.generate);
  the default.
- `vllm`: vLLM's offline `LLM.generate` in this process (an optional extra, GPU only).
- `server`: any OpenAI-compatible `/v1/completions` endpoint (vllm serve, SGLang, TGI, llama.cpp,
  transformers serve) over HTTP.

A backend turns prompts into `Sample`s (`samples` per prompt, in order) for given sampling
settings; the probe (sftlab.memory.probe) renders the prompts, matches the hits and writes the
shards, identically for all three. `identity()` names what, besides the shared sampling settings,
decides a backend's samples (its name, its library's version, engine options that change
numerics): it is part of every shard key, so switching engines never reuses another's shards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sftlab.config import probe_settings
from sftlab.memory.backends.hits import HitTest

BACKENDS = ("hf", "vllm", "server")


@dataclass(frozen=True)
class Sample:
    text: str
    finish: str  # "stop": EOS or a stop string; "hit": ended by stop-on-hit; "length": token budget


@dataclass(frozen=True)
class SamplingRequest:
    """What every backend is asked for: the prompts, and per prompt its gold forms (for
    stop-on-hit), with the probe's sampling settings.
    """

    prompts: Sequence[str]
    gold: Sequence[Sequence[str]]
    samples: int
    temperature: float
    top_p: float
    top_k: int  # 0: off
    max_new_tokens: int
    stop: Sequence[str]
    seed: int
    stop_on_hit: bool
    hit_tests: Sequence[HitTest] = ()  # per prompt; used by backends that check text per token


class Backend(Protocol):
    def identity(self) -> dict[str, Any]: ...

    def sample(
        self, request: SamplingRequest, on_batch: Callable[[int], None] | None = None
    ) -> list[list[Sample]]: ...


def open_backend(
    name: str, options: dict[str, Any], model_entry: dict[str, Any], batch_size: int
) -> Backend:
    """The backend `name` for one model; options are memory.probe.<name>'s keys (and `match`)."""
    if name == "hf":
        from sftlab.lm.load import load_model
        from sftlab.memory.backends.hf import HFBackend

        model, tokenizer = load_model(model_entry)
        return HFBackend(model, tokenizer, batch_size)
    if name == "vllm":
        from sftlab.memory.backends.vllm import VLLMBackend

        return VLLMBackend(model_entry, **options)
    if name == "server":
        from sftlab.memory.backends.server import ServerBackend

        served = model_entry.get("hub_id") or model_entry.get("path")  # what vllm serve calls it
        return ServerBackend(**{"model": served, **options})
    raise ValueError(f"memory.probe.backend: unknown backend {name!r}; known: {list(BACKENDS)}")


def job_gpus(memory: dict[str, Any], model: str) -> int:
    """GPUs the job holds: vllm splits the model over tensor_parallel_size; a server has its own."""
    settings = probe_settings(memory, model)
    backend = settings.get("backend", "hf")
    if backend == "vllm":
        return int(settings.get("vllm", {}).get("tensor_parallel_size", 1))
    return 0 if backend == "server" else 1


def job_env(memory: dict[str, Any], model: str) -> str:
    """The envs/ file the job runs in: vLLM pins its own torch, so it has its own."""
    return "vllm" if probe_settings(memory, model).get("backend") == "vllm" else "gpu"
