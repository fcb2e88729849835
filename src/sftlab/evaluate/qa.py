"""Short-answer QA: greedy generation, hit = a normalised gold answer or alias in the output.

The memory study (arXiv 2409.15825) tests with greedy decoding and at most 16 new tokens and reports
accuracy per test memory level; the caller names the grouping columns (e.g. level, domain).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from sftlab.evaluate.match import MatchSettings, is_hit
from sftlab.io import stable_id
from sftlab.lm.generate import generate
from sftlab.logs import Progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QASettings:
    max_new_tokens: int = 16  # the paper's test budget
    batch_size: int = 64  # sequences per forward pass
    # The SFT example format of arXiv 2409.15825, without the answer; items with a `prompt`
    # column use that instead.
    prompt_template: str = "<|question|> {question} <|answer|>"
    stop: tuple[str, ...] = ()  # extra stop strings; generation always stops at EOS
    chat_template: bool = False  # wrap the prompt as a user turn of the chat template
    normalize: MatchSettings = field(default_factory=MatchSettings)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> QASettings:
        data = dict(data or {})
        data["normalize"] = MatchSettings.from_dict(data.get("normalize"))
        data["stop"] = tuple(data.get("stop", ()))
        return cls(**data)


def item_ids(items: pl.DataFrame) -> list[str]:
    for column in ("item_id", "fact_id"):
        if column in items.columns:
            return items[column].cast(pl.Utf8).to_list()
    raise ValueError("QA items need an 'item_id' or 'fact_id' column")


def build_prompts(items: pl.DataFrame, settings: QASettings, tokenizer=None) -> list[str]:
    if "prompt" in items.columns:
        prompts = items["prompt"].to_list()
    else:
        prompts = [settings.prompt_template.format(question=q) for q in items["question"]]
    if settings.chat_template:
        if tokenizer is None or not tokenizer.chat_template:
            raise ValueError("evaluate.qa.chat_template is on but the tokenizer has none")
        prompts = [
            tokenizer.apply_chat_template(
                [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
            )
            for p in prompts
        ]
    return prompts


def gold_answers(items: pl.DataFrame) -> list[list[str]]:
    """Per item: `answers` (list or str) plus `aliases` when the items carry them."""
    if "answers" not in items.columns:
        raise ValueError("QA items need an 'answers' column")
    golds = [[a] if isinstance(a, str) else list(a) for a in items["answers"].to_list()]
    if "aliases" in items.columns:
        for gold, aliases in zip(golds, items["aliases"].to_list(), strict=True):
            gold.extend(aliases or [])
    return golds


def evaluate_qa(
    model,
    tokenizer,
    items: pl.DataFrame,
    settings: QASettings = QASettings(),
    group_by: Sequence[str] = (),
) -> pl.DataFrame:
    """Per-item results: item_id, prediction, correct, prompt_hash, and the grouping columns."""
    if items.is_empty():
        raise ValueError("no QA items to evaluate")
    missing = [c for c in group_by if c not in items.columns]
    if missing:
        raise ValueError(f"group column(s) {missing} not in the QA items ({items.columns})")
    prompts = build_prompts(items, settings, tokenizer)
    progress = Progress(len(prompts), "qa generation", unit="items", logger=log)
    outputs = generate(
        model,
        tokenizer,
        prompts,
        max_new_tokens=settings.max_new_tokens,
        stop=settings.stop,
        batch_size=settings.batch_size,
        on_batch=progress.update,
    )
    predictions = [o[0] for o in outputs]
    golds = gold_answers(items)
    correct = [is_hit(p, g, settings.normalize) for p, g in zip(predictions, golds, strict=True)]
    return pl.DataFrame(
        {
            "item_id": item_ids(items),
            "prediction": predictions,
            "correct": correct,
            "prompt_hash": [stable_id(p) for p in prompts],
        }
    ).with_columns(items.select(group_by))


def summarise_qa(
    per_item: pl.DataFrame, group_by: Sequence[str] = (), **meta: Any
) -> dict[str, Any]:
    """Overall accuracy and accuracy per value of each grouping column."""
    groups = {}
    for column in group_by:
        table = per_item.group_by(column).agg(
            pl.len().alias("n"), pl.col("correct").mean().alias("acc")
        )
        groups[column] = {
            str(r[column]): {"n": r["n"], "acc": r["acc"]} for r in table.sort(column).to_dicts()
        }
    return {
        **meta,
        "n": per_item.height,
        "acc": float(per_item["correct"].mean()),
        "groups": groups,
    }
