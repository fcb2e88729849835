"""The `vllm` backend: vLLM's offline engine in this process (`LLM.generate`).

One `SamplingParams(n=samples, ...)` per prompt, each with its own seed, so a prompt's samples
share one prompt computation and do not depend on which other prompts run beside them; per-prompt
stop strings carry stop-on-hit (vLLM cuts a stop string and names it as `stop_reason`; a hit's is
put back, so the recorded text is what the model wrote).
vLLM pins its own torch and CUDA build, so it is an optional extra in its own environment
(envs/vllm.yaml), never installed by `make`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sftlab.evaluate.match import MatchSettings
from sftlab.memory.backends import Sample, SamplingRequest
from sftlab.memory.backends.hits import stop_strings

INSTALL = "pip install 'vllm>=0.10' (in its own environment: conda env create -f envs/vllm.yaml)"


def import_vllm() -> Any:
    try:
        import vllm
    except ImportError as error:
        raise ImportError(
            f"memory.probe.backend 'vllm' needs vLLM, which is not installed: {INSTALL}"
        ) from error
    return vllm


class VLLMBackend:
    def __init__(
        self,
        model_entry: dict[str, Any],
        gpu_memory_utilization: float = 0.9,
        tensor_parallel_size: int = 1,
        match: MatchSettings | None = None,
    ):
        self.vllm = import_vllm()
        self.match = match or MatchSettings()
        self.tensor_parallel_size = tensor_parallel_size
        source = model_entry.get("hub_id") or model_entry["path"]
        self.llm = self.vllm.LLM(
            model=source,
            revision=model_entry.get("revision"),
            dtype=model_entry.get("dtype") or "auto",
            trust_remote_code=bool(model_entry.get("trust_remote_code", False)),
            gpu_memory_utilization=gpu_memory_utilization,
            tensor_parallel_size=tensor_parallel_size,
        )

    def identity(self) -> dict[str, Any]:
        # tensor parallelism changes the order of floating-point sums, hence samples
        return {
            "backend": "vllm",
            "version": self.vllm.__version__,
            "tensor_parallel_size": self.tensor_parallel_size,
        }

    def sample(
        self, request: SamplingRequest, on_batch: Callable[[int], None] | None = None
    ) -> list[list[Sample]]:
        params, hit_stops = [], []
        for i, gold in enumerate(request.gold):
            hits = stop_strings(gold, self.match) if request.stop_on_hit else []
            hit_stops.append(hits)
            stop = list(request.stop) + [s for s in hits if s not in request.stop]
            params.append(
                self.vllm.SamplingParams(
                    n=request.samples,
                    temperature=request.temperature,
                    top_p=request.top_p,
                    top_k=request.top_k if request.top_k > 0 else -1,
                    max_tokens=request.max_new_tokens,
                    seed=request.seed + i,
                    stop=stop or None,  # cut from the text; a hit stop is put back by _sample
                )
            )
        outputs = self.llm.generate(list(request.prompts), params, use_tqdm=False)
        if on_batch is not None:
            on_batch(len(outputs))
        return [
            [_sample(o, hits) for o in out.outputs]
            for out, hits in zip(outputs, hit_stops, strict=True)
        ]


def _sample(output: Any, hit_stops: list[str]) -> Sample:
    text, reason = output.text, output.stop_reason
    if isinstance(reason, str) and reason in hit_stops:
        return Sample(text + reason, "hit")
    return Sample(text, "length" if output.finish_reason == "length" else "stop")
