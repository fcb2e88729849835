"""The `hf` backend: a transformers model in this process, through sftlab's own decode loop
(sftlab.lm.generate.complete: shared prompt prefill, finished rows leave the batch)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import transformers

from sftlab.lm.generate import DECODE_VERSION, complete
from sftlab.memory.backends import Sample, SamplingRequest


class HFBackend:
    # a class attribute so bench/bench_probe.py can measure transformers `generate` as the peer
    complete = staticmethod(complete)

    def __init__(self, model: Any, tokenizer: Any, batch_size: int = 256):
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size  # sequences (prompts x samples) per forward pass

    def identity(self) -> dict[str, Any]:
        # the batch size is part of it: a batch's rows share one random stream, so batching
        # changes samples; the decode loop's version, because a new loop samples differently
        return {
            "backend": "hf",
            "version": transformers.__version__,
            "decode": DECODE_VERSION,
            "batch_size": self.batch_size,
        }

    def sample(
        self, request: SamplingRequest, on_batch: Callable[[int], None] | None = None
    ) -> list[list[Sample]]:
        done = None
        if request.stop_on_hit:
            tests = request.hit_tests
            done = lambda prompt, text: tests[prompt].decided(text)  # noqa: E731
        rows = self.complete(
            self.model,
            self.tokenizer,
            request.prompts,
            max_new_tokens=request.max_new_tokens,
            num_samples=request.samples,
            do_sample=request.temperature > 0,  # 0: greedy, as the engines read it
            temperature=request.temperature,
            top_p=request.top_p,
            top_k=request.top_k,
            stop=list(request.stop),
            batch_size=self.batch_size,
            seed=request.seed,
            on_batch=on_batch,
            done=done,
        )
        return [[Sample(c.text, c.finish) for c in row] for row in rows]
