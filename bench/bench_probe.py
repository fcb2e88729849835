"""Memory probing throughput: the batched probe against a naive loop (one prompt, one generate call
per sample), in completions per second, and their ratio (target >= 10x on 2 CPU cores).

Uses the demo model (results/demo/model) and demo facts (results/data/entityquestions.parquet) when
they exist, else a random Llama of the demo's shape (4 layers, width 192) and invented subjects. The
naive loop runs on a subset of the prompts (it is slow); both use the same templates and settings.

    .venv/bin/python bench/bench_probe.py [--facts 60] [--naive-prompts 12] [--threads 2]
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

import polars as pl
import torch

from sftlab.generate import generate
from sftlab.memory.probe import ProbeSettings, prompts_of, run_probe
from sftlab.memory.templates import load_aliases, load_templates

REPO = Path(__file__).resolve().parents[1]
DEMO_MODEL = REPO / "results/demo/model"
DEMO_FACTS = REPO / "results/data/entityquestions.parquet"
TARGET_RATIO = 10.0


def load(facts_wanted: int):
    templates = load_templates(REPO / "config/templates/demo.yaml")
    if DEMO_MODEL.is_dir() and DEMO_FACTS.is_file():
        from sftlab.models import load_model

        model, tokenizer = load_model({"name": "demo", "path": str(DEMO_MODEL)}, device="cpu")
        facts = pl.read_parquet(DEMO_FACTS).filter(pl.col("split") == "train")
        return (
            model,
            tokenizer,
            facts.sample(min(facts_wanted, facts.height), seed=0),
            templates,
            "demo model",
        )
    from demo_shaped import demo_model, demo_tokenizer

    tokenizer = demo_tokenizer()
    model = demo_model(tokenizer)
    relations = sorted(templates.by_relation)
    facts = pl.DataFrame(
        {
            "fact_id": [f"f{i}" for i in range(facts_wanted)],
            "relation": [relations[i % len(relations)] for i in range(facts_wanted)],
            "subject": [f"Norland{i}" for i in range(facts_wanted)],
            "answers": [["Vemor"]] * facts_wanted,
        }
    )
    return model, tokenizer, facts, templates, "random demo-shaped model"


@torch.inference_mode()
def naive(model, tokenizer, prompts: list[str], settings: ProbeSettings) -> int:
    """One generate call per sample, one prompt at a time: what a first implementation does."""
    done = 0
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt")
        for _ in range(settings.samples):
            model.generate(
                **ids,
                do_sample=True,
                temperature=settings.temperature,
                top_k=0,
                max_new_tokens=settings.max_new_tokens,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )
            done += 1
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=60)
    parser.add_argument("--naive-prompts", type=int, default=12)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--max-new-tokens", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, tokenizer, facts, templates, what = load(args.facts)
    aliases = load_aliases(REPO / "config/aliases/demo.yaml")
    settings = ProbeSettings(
        samples=args.samples,
        max_new_tokens=args.max_new_tokens,
        batch_size=args.batch_size,
        shard_facts=10**9,
        raw_fraction=0.0,
    )
    import tempfile

    with tempfile.TemporaryDirectory() as shards:
        start = time.perf_counter()
        table = run_probe(
            functools.partial(generate, model, tokenizer),
            facts,
            templates,
            aliases,
            settings,
            shards,
            "bench",
        )
        batched_s = time.perf_counter() - start
    batched = int(table["samples"].sum())
    prompts = prompts_of(facts, templates)["prompt"].to_list()[: args.naive_prompts]
    start = time.perf_counter()
    naive_done = naive(model, tokenizer, prompts, settings)
    naive_s = time.perf_counter() - start
    batched_rate, naive_rate = batched / batched_s, naive_done / naive_s
    print(
        f"model: {what}; {args.threads} threads; {settings.samples} samples x "
        f"{settings.max_new_tokens} new tokens; batch {settings.batch_size} sequences"
    )
    print(f"batched probe: {batched} completions in {batched_s:.1f} s = {batched_rate:.0f} /s")
    print(f"naive loop:    {naive_done} completions in {naive_s:.1f} s = {naive_rate:.1f} /s")
    ratio = batched_rate / naive_rate
    print(
        f"ratio: {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x: "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
