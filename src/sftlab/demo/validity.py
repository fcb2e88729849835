"""Does the demo model know what it was told? Recall of each fact against its known exposure.

Every fact is probed with the declarative prefix of each corpus phrasing and of the held-out
paraphrase ("The capital of Varnor is" -> " Keltora."). A completion is a hit when it contains the
object (the memory study's matcher). The score of a fact is its hit rate over all prompts (and
samples); its rank correlation with exposure is the validity number of the demo world.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import polars as pl
from scipy.stats import spearmanr
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sftlab.demo.world import Relation
from sftlab.evaluate.match import is_hit
from sftlab.lm.generate import generate

log = logging.getLogger(__name__)

BUCKETS = ((0, 0), (1, 2), (3, 7), (8, 15), (16, 31), (32, 64))


def probe_prompts(facts: pl.DataFrame, relations: dict[str, Relation]) -> pl.DataFrame:
    """One row per fact x template: fact_id, template (corpus_0.. | held_out), prompt, object."""
    rows = []
    for fact in facts.iter_rows(named=True):
        relation = relations[fact["relation"]]
        named = [(f"corpus_{i}", t) for i, t in enumerate(relation.phrasings)]
        for name, template in [*named, ("held_out", relation.held_out)]:
            prompt = relation.prefix(template, fact["subject"])
            rows.append(
                {
                    "fact_id": fact["fact_id"],
                    "template": name,
                    "prompt": prompt,
                    "object": fact["object"],
                }
            )
    return pl.DataFrame(rows)


def score_facts(
    facts: pl.DataFrame,
    relations: dict[str, Relation],
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    samples: int = 1,
    temperature: float = 0.0,
    max_new_tokens: int = 8,  # the defaults of demo.validity
    batch_size: int = 512,
    seed: int = 0,
) -> pl.DataFrame:
    """Per fact: exposure, hit rate on corpus phrasings, on the held-out paraphrase, and overall.

    `samples` continuations per prompt (greedy at temperature 0) through the engine's batched
    `generate`; `batch_size` counts prompts per forward pass.
    """
    prompts = probe_prompts(facts, relations)
    start = time.perf_counter()
    completions = generate(
        model, tokenizer, prompts["prompt"].to_list(), max_new_tokens=max_new_tokens,
        num_samples=samples, do_sample=temperature > 0, temperature=temperature,
        batch_size=batch_size * samples, seed=seed,
    )  # fmt: skip
    done = len(completions) * samples
    elapsed = time.perf_counter() - start
    log.info("%d completions in %.1f s (%.0f/s)", done, elapsed, done / elapsed)
    hits = [
        float(np.mean([is_hit(text, obj) for text in texts]))
        for texts, obj in zip(completions, prompts["object"].to_list(), strict=True)
    ]
    per_prompt = prompts.with_columns(
        pl.Series("hit_rate", hits), pl.Series("example", [texts[0] for texts in completions])
    )
    per_fact = per_prompt.group_by("fact_id").agg(
        pl.col("hit_rate")
        .filter(pl.col("template").str.starts_with("corpus"))
        .mean()
        .alias("corpus_recall"),
        pl.col("hit_rate").filter(pl.col("template") == "held_out").mean().alias("held_out_recall"),
        pl.col("hit_rate").mean().alias("score"),
    )
    return facts.select("fact_id", "relation", "domain", "split", "exposure").join(
        per_fact, on="fact_id", how="left", maintain_order="left"
    )


def bucket_label(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def recall_table(scores: pl.DataFrame) -> pl.DataFrame:
    """Facts and mean recall per exposure bucket."""
    rows = []
    for low, high in BUCKETS:
        part = scores.filter(pl.col("exposure").is_between(low, high))
        rows.append(
            {
                "exposure": bucket_label(low, high),
                "facts": part.height,
                "corpus_recall": round(float(part["corpus_recall"].mean() or 0.0), 3),
                "held_out_recall": round(float(part["held_out_recall"].mean() or 0.0), 3),
                "score": round(float(part["score"].mean() or 0.0), 3),
            }
        )
    return pl.DataFrame(rows)


def spearman(scores: pl.DataFrame, column: str = "score") -> float:
    rho = spearmanr(scores["exposure"].to_numpy(), scores[column].to_numpy()).statistic
    return round(float(rho), 4)


def format_table(table: pl.DataFrame) -> str:
    header = f"{'exposure':>9} {'facts':>6} {'corpus':>7} {'held-out':>9} {'score':>6}"
    lines = [header] + [
        f"{r['exposure']:>9} {r['facts']:>6} {r['corpus_recall']:>7.3f} "
        f"{r['held_out_recall']:>9.3f} {r['score']:>6.3f}"
        for r in table.iter_rows(named=True)
    ]
    return "\n".join(lines)
