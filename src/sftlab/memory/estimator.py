"""A faster memory estimator: the probability of the object under teacher forcing.

For each (fact, template) one forward pass scores the object as the immediate continuation of the
template: p = P_T(" " + object | template), the product of its tokens' probabilities with logits
divided by the probing temperature T. With aliases, p is the largest over the gold answer and its
aliases. R_tf of a fact is the mean of p over templates. It costs one forward pass per prompt
instead of samples x new tokens decoding steps, but only sees the object at the start of the
continuation (sampling finds it anywhere in the first M tokens), so it ranks facts rather than
reproducing R: its Spearman agreement with the sampled R is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import polars as pl
import torch
from scipy.stats import spearmanr

from sftlab.lm.loglik import continuation_logprobs
from sftlab.memory.probe import prompts_of
from sftlab.memory.templates import Aliases, Templates

log = logging.getLogger(__name__)


def teacher_forcing_probe(
    model,
    tokenizer,
    facts: pl.DataFrame,
    templates: Templates,
    aliases: Aliases,
    temperature: float = 1.0,
    batch_size: int = 64,
    on_batch: Callable[[int], None] | None = None,
) -> pl.DataFrame:
    """fact_id, relation, template_id, prob: the best alias's teacher-forced probability."""
    table = prompts_of(facts, templates)
    gold = {r["fact_id"]: aliases.expand(r["answers"]) for r in facts.iter_rows(named=True)}
    pairs, owner = [], []
    for row, (fact_id, prompt) in enumerate(zip(table["fact_id"], table["prompt"], strict=True)):
        for answer in gold[fact_id]:
            pairs.append((prompt, " " + answer))
            owner.append(row)
    logps = continuation_logprobs(model, tokenizer, pairs, temperature, batch_size, on_batch)
    best = [float("-inf")] * table.height
    for row, lp in zip(owner, logps, strict=True):
        best[row] = max(best[row], lp)
    probs = torch.tensor(best).exp().tolist()
    return table.drop("prompt").with_columns(pl.Series("prob", probs, dtype=pl.Float64))


def rank_agreement(sampled: pl.DataFrame, forced: pl.DataFrame) -> dict[str, float | int]:
    """Spearman correlation between the sampled R and the teacher-forced R_tf over shared facts."""
    joined = sampled.select("fact_id", "R").join(
        forced.select("fact_id", pl.col("R").alias("R_tf")), on="fact_id"
    )
    rho = spearmanr(joined["R"].to_numpy(), joined["R_tf"].to_numpy()).statistic
    return {"facts": joined.height, "spearman": float(rho)}
