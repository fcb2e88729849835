"""Evaluator throughput: batched QA and MMLU evaluation against a naive one-item loop, in items per
second and their ratio (target >= 5x on 2 CPU cores). Both paths must give the same predictions.

Uses the demo model (results/demo/model) when it exists, else a random Llama of the demo's shape
(4 layers, width 192). Items are bench/demo_shaped.py's invented facts and MMLU-shaped questions.

    .venv/bin/python bench/bench_evaluate.py [--model PATH] [--items 96] [--threads 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import polars as pl
import torch
from demo_shaped import COLOURS, FACTS, demo_model, demo_tokenizer

from sftlab.evaluate.mc import MCSettings, build_context, encode_requests, evaluate_mc
from sftlab.evaluate.qa import QASettings, build_prompts, evaluate_qa
from sftlab.lm.load import load_model

REPO = Path(__file__).resolve().parents[1]

TARGET_RATIO = 5.0


def load(path: Path):
    if path.is_dir():
        model, tokenizer = load_model({"name": "demo", "path": str(path)}, device="cpu")
        return model, tokenizer, f"demo model {path}"
    tokenizer = demo_tokenizer()
    return demo_model(tokenizer), tokenizer, "random demo-shaped model"


def items(n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    facts = [FACTS[i % len(FACTS)] for i in range(n)]
    qa = pl.DataFrame(
        {
            "fact_id": [f"f{i}" for i in range(n)],
            "question": [f"What colour is {s} number {i}?" for i, (s, _) in enumerate(facts)],
            "answers": [[c] for _, c in facts],
        }
    )
    mc = pl.DataFrame(
        {
            "item_id": [f"m{i}" for i in range(n)],
            "subject": [("astronomy", "philosophy")[i % 2] for i in range(n)],
            "question": [f"What colour is {s} in case {i}?" + " Why" * (i % 7) for i, (s, _) in
                         enumerate(facts)],
            "choices": [COLOURS] * n,
            "answer": [COLOURS.index(c) for _, c in facts],
            "split": ["test"] * n,
        }
    )  # fmt: skip
    return qa, mc


@torch.inference_mode()
def naive_qa(model, tokenizer, prompts: list[str], max_new_tokens: int) -> list[str]:
    """One generate call per item, no padding, no batching."""
    out = []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt")
        seq = model.generate(
            **ids,
            do_sample=False,
            max_new_tokens=max_new_tokens,
            pad_token_id=tokenizer.pad_token_id,
        )
        out.append(tokenizer.decode(seq[0, ids["input_ids"].shape[1] :], skip_special_tokens=True))
    return out


@torch.inference_mode()
def naive_mc(model, tokenizer, mc: pl.DataFrame) -> list[int]:
    """Each (context, continuation) pair scored by its own forward pass, as a first version does."""
    rows = list(mc.iter_rows(named=True))
    ctx_ids, cont_ids = encode_requests(tokenizer, [build_context(r, []) for r in rows])
    predictions = []
    for ctx, conts in zip(ctx_ids, cont_ids, strict=True):
        scores = []
        for cont in conts:
            logprobs = torch.log_softmax(model(torch.tensor([ctx + cont])).logits[0].float(), -1)
            scores.append(sum(float(logprobs[len(ctx) - 1 + j, t]) for j, t in enumerate(cont)))
        predictions.append(max(range(4), key=scores.__getitem__))
    return predictions


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "results/demo/model")
    parser.add_argument("--items", type=int, default=96)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, tokenizer, label = load(args.model)
    qa, mc = items(args.items)
    settings = QASettings(max_new_tokens=16, batch_size=64)
    print(f"{label}, {args.items} items, {args.threads} threads")
    prompts = build_prompts(qa, settings)
    failed = False
    for name, batched_run, naive_run in (
        (
            "QA",
            lambda: evaluate_qa(model, tokenizer, qa, settings),
            lambda: naive_qa(model, tokenizer, prompts, settings.max_new_tokens),
        ),
        (
            "MC",
            lambda: evaluate_mc(model, tokenizer, mc, MCSettings(batch_size=32)),
            lambda: naive_mc(model, tokenizer, mc),
        ),
    ):
        batched, t_batched = timed(batched_run)
        naive, t_naive = timed(naive_run)
        same = batched["prediction"].to_list() == naive
        ratio = t_naive / t_batched
        print(
            f"{name}  batched {args.items / t_batched:8.1f} items/s  naive "
            f"{args.items / t_naive:7.1f} items/s  ratio {ratio:5.1f}x  same predictions: {same}"
        )
        failed |= not same or ratio < TARGET_RATIO
    print(
        f"target: >= {TARGET_RATIO:.0f}x with identical predictions: {'FAIL' if failed else 'ok'}"
    )
    return int(failed)


if __name__ == "__main__":
    raise SystemExit(main())
