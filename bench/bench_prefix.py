"""Shared-prefix reuse at 5-shot MMLU: scoring with the per-subject prefix KV cache against scoring
every full prompt, on a randomly initialised ~100M-parameter Llama, in items per second and their
ratio (target >= 3x on 2 CPU cores). Log-likelihoods must agree within 1e-4.

    .venv/bin/python bench/bench_prefix.py [--items 16] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl
import torch
from demo_shaped import demo_tokenizer
from transformers import LlamaForCausalLM

from sftlab.evaluate.mc import MCSettings, evaluate_mc
from sftlab.testing.tiny_models import build_model

TARGET_RATIO = 3.0
SUBJECTS = ("astronomy", "philosophy")


def model_100m(tokenizer) -> LlamaForCausalLM:
    """Llama shape of ~110M parameters: 12 layers, width 768, a 32k tied vocabulary."""
    return build_model(
        tokenizer,
        hidden=768,
        layers=12,
        init=0.02,
        vocab_size=max(len(tokenizer), 32000),
        intermediate_size=2048,
        num_attention_heads=12,
        num_key_value_heads=12,
        max_position_embeddings=4096,
    )


def mmlu_like(items_per_subject: int) -> pl.DataFrame:
    """MMLU-shaped questions of realistic length (about 60-90 tokens per exemplar)."""
    rng = np.random.default_rng(0)
    words = "the capital of country river located born wrote plays chess red blue green".split()
    rows = []
    for subject in SUBJECTS:
        for split, n in (("dev", 5), ("test", items_per_subject)):
            for i in range(n):
                question = " ".join(rng.choice(words, size=int(rng.integers(25, 45))))
                choices = [" ".join(rng.choice(words, size=4)) for _ in range(4)]
                rows.append(
                    {
                        "item_id": f"{subject}-{split}-{i}",
                        "subject": subject,
                        "question": question.capitalize() + "?",
                        "choices": choices,
                        "answer": int(rng.integers(0, 4)),
                        "split": split,
                    }
                )
    return pl.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=16, help="test items per subject")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tokenizer = demo_tokenizer()
    model = model_100m(tokenizer)
    params = sum(p.numel() for p in model.parameters()) / 1e6
    items = mmlu_like(args.items)
    n = args.items * len(SUBJECTS)
    print(f"random Llama, {params:.0f}M parameters, 5-shot, {n} items, {args.threads} threads")
    results, seconds = {}, {}
    for reuse in (True, False):
        settings = MCSettings(num_fewshot=5, prefix_reuse=reuse, batch_size=args.batch_size)
        start = time.perf_counter()
        results[reuse] = evaluate_mc(model, tokenizer, items, settings)
        seconds[reuse] = time.perf_counter() - start
        label = "with prefix reuse   " if reuse else "without prefix reuse"
        print(f"{label} {n / seconds[reuse]:7.2f} items/s ({seconds[reuse]:.1f} s)")
    diff = np.abs(
        np.array(results[True]["logprobs"].to_list())
        - np.array(results[False]["logprobs"].to_list())
    ).max()
    ratio = seconds[False] / seconds[True]
    ok = ratio >= TARGET_RATIO and diff < 1e-4
    print(f"ratio {ratio:.1f}x, max |delta log-likelihood| {diff:.2e}")
    print(f"target: >= {TARGET_RATIO:.0f}x, delta < 1e-4: {'ok' if ok else 'FAIL'}")
    return int(not ok)


if __name__ == "__main__":
    raise SystemExit(main())
