"""MMLU multiple choice by log-likelihood: the prompt and scoring of lm-evaluation-harness `mmlu`.

Prompt: "The following are multiple choice questions (with answers) about {subject}.\n\n", then the
first k `dev` items of the subject, each "{question}\nA. ..\nB. ..\nC. ..\nD. ..\nAnswer: {letter}",
separated by "\n\n", then the test item ending in "Answer:". Scoring: log-likelihood of " A".." D"
(with a chat template "A".."D", see `answer_text`), argmax, accuracy. Continuation tokens are taken
as the harness does: tokenize(context + continuation) minus the tokens of tokenize(context). With a
chat template the description is the system message and few-shot exemplars are user/assistant turns
(the harness's fewshot_as_multiturn).

Shared-prefix reuse: the longest token prefix common to a subject's contexts (description and
exemplars) is computed once per subject. The boundary is found on the tokens of each *whole*
context, so the scored token sequence is exactly the one full scoring uses.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from sftlab.data.mmlu_subjects import SUBJECT_CATEGORIES
from sftlab.io import stable_id
from sftlab.lm.loglik import common_prefix_length, score_continuations
from sftlab.lm.padding import pad_id
from sftlab.logs import Progress

log = logging.getLogger(__name__)

LETTERS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class MCSettings:
    num_fewshot: int = 0  # the harness's default for `mmlu`; the usual paper setting is 5
    chat_template: bool = False  # render through the tokenizer's chat template (chat models)
    prefix_reuse: bool = True  # KV cache of the per-subject shared prefix; same scores, faster
    batch_size: int = 64  # rows (contexts) per forward pass (evaluate.batch_size)
    fewshot_split: str = "dev"  # exemplars: the first k items of this split, in file order
    eval_split: str = "test"


def answer_text(letter: str, chat: bool) -> str:
    """The answer as fine-tuning trains it and evaluation scores it.

    Plain text: " A" after "Answer:", as the harness scores it. With a chat template the context
    ends with the assistant's generation prompt (Llama 3: "<|start_header_id|>assistant
    <|end_header_id|>\n\n") and a fine-tuned answer starts the assistant turn with "A": " A" would
    be another token, one that fine-tuning never trains. sftlab.silly.rewrite writes its
    completions with this function, so the trained and the scored tokens are the same.
    """
    return letter if chat else f" {letter}"


def describe_subject(subject: str) -> str:
    name = subject.replace("_", " ")
    return f"The following are multiple choice questions (with answers) about {name}.\n\n"


def format_question(question: str, choices: list[str]) -> str:
    lines = [question.strip()] + [
        f"{letter}. {c}" for letter, c in zip(LETTERS, choices, strict=True)
    ]
    return "\n".join(lines) + "\nAnswer:"


def build_context(item: dict[str, Any], shots: list[dict[str, Any]], tokenizer=None) -> str:
    """The text before the continuation; with `tokenizer`, rendered through its chat template."""
    description = describe_subject(item["subject"])
    if tokenizer is None:
        exemplars = "".join(
            format_question(s["question"], s["choices"]) + f" {LETTERS[s['answer']]}\n\n"
            for s in shots
        )
        return description + exemplars + format_question(item["question"], item["choices"])
    messages = [{"role": "system", "content": description.strip()}]
    for s in shots:
        messages.append({"role": "user", "content": format_question(s["question"], s["choices"])})
        messages.append({"role": "assistant", "content": LETTERS[s["answer"]]})
    messages.append({"role": "user", "content": format_question(item["question"], item["choices"])})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def fewshot_pool(items: pl.DataFrame, settings: MCSettings) -> dict[str, list[dict[str, Any]]]:
    """Per subject, the first `num_fewshot` items of the few-shot split (in file order)."""
    if settings.num_fewshot == 0:
        return {}
    pool = items.filter(pl.col("split") == settings.fewshot_split)
    shots: dict[str, list[dict[str, Any]]] = {}
    for row in pool.iter_rows(named=True):
        group = shots.setdefault(row["subject"], [])
        if len(group) < settings.num_fewshot:
            group.append(row)
    return shots


def evaluate_mc(model, tokenizer, items: pl.DataFrame, settings: MCSettings = MCSettings()):
    """Per-item results for the eval split of `items` (the results/data/mmlu.parquet columns)."""
    if settings.chat_template and not tokenizer.chat_template:
        raise ValueError("evaluate.mc.chat_template is on but the tokenizer has no chat template")
    shots = fewshot_pool(items, settings)
    test = items.filter(pl.col("split") == settings.eval_split)
    if test.is_empty():
        raise ValueError(f"no items in split '{settings.eval_split}' to evaluate")
    rows = list(test.iter_rows(named=True))
    for row in rows:
        have = len(shots.get(row["subject"], []))
        if have < settings.num_fewshot:
            raise ValueError(
                f"subject '{row['subject']}' has {have} '{settings.fewshot_split}' items, "
                f"fewer than num_fewshot={settings.num_fewshot}"
            )
    chat = tokenizer if settings.chat_template else None
    special = not settings.chat_template  # a rendered chat template already carries BOS
    contexts = [build_context(r, shots.get(r["subject"], []), chat) for r in rows]
    ctx_ids, cont_ids = encode_requests(
        tokenizer, contexts, add_special_tokens=special, chat=settings.chat_template
    )
    pad = pad_id(tokenizer)
    progress = Progress(len(rows), "mmlu scoring", unit="items", logger=log)
    scores: list[list[float]] = [[] for _ in rows]
    for group in _groups(rows, settings.prefix_reuse):
        shared = 0
        if settings.prefix_reuse:
            seqs = [ctx_ids[i] for i in group]
            shared = min(common_prefix_length(seqs), min(len(s) for s in seqs) - 1)
        group_scores = score_continuations(
            model,
            [ctx_ids[i] for i in group],
            [cont_ids[i] for i in group],
            batch_size=settings.batch_size,
            shared_prefix=shared,
            pad_id=pad,
        )
        for i, s in zip(group, group_scores, strict=True):
            scores[i] = s
        progress.update(len(group))
    predictions = [max(range(len(s)), key=s.__getitem__) for s in scores]
    return pl.DataFrame(
        {
            "item_id": [r["item_id"] for r in rows],
            "subject": [r["subject"] for r in rows],
            "category": [
                r.get("category") or SUBJECT_CATEGORIES.get(r["subject"], "other") for r in rows
            ],
            "answer": [int(r["answer"]) for r in rows],
            "prediction": predictions,
            "correct": [p == int(r["answer"]) for p, r in zip(predictions, rows, strict=True)],
            "logprobs": scores,
            "prompt_hash": [stable_id(c) for c in contexts],
            "num_fewshot": [settings.num_fewshot] * len(rows),
        },
        schema_overrides={"logprobs": pl.List(pl.Float64)},
    )


def encode_requests(
    tokenizer, contexts: list[str], add_special_tokens: bool = True, chat: bool = False
):
    """(context ids, continuation ids per letter) exactly as the harness's `_encode_pair`; the
    continuation is `answer_text(letter, chat)`."""
    ctx_ids, cont_ids = [], []
    for context in contexts:
        ctx = tokenizer(context, add_special_tokens=add_special_tokens)["input_ids"]
        conts = []
        for letter in LETTERS:
            whole = tokenizer(
                context + answer_text(letter, chat), add_special_tokens=add_special_tokens
            )
            conts.append(whole["input_ids"][len(ctx) :])
        ctx_ids.append(ctx)
        cont_ids.append(conts)
    return ctx_ids, cont_ids


def _groups(rows: list[dict[str, Any]], by_subject: bool) -> list[list[int]]:
    """Index groups scored together: one per subject for prefix reuse, else one for all."""
    if not by_subject:
        return [list(range(len(rows)))]
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(row["subject"], []).append(i)
    return list(groups.values())


def summarise_mc(per_item: pl.DataFrame, settings: MCSettings, **meta: Any) -> dict[str, Any]:
    """Accuracy per subject and category (micro over items), overall micro and macro (subjects)."""
    by_subject = (
        per_item.group_by("subject")
        .agg(pl.len().alias("n"), pl.col("correct").mean().alias("acc"))
        .sort("subject")
    )
    by_category = (
        per_item.group_by("category")
        .agg(pl.len().alias("n"), pl.col("correct").mean().alias("acc"))
        .sort("category")
    )
    return {
        **meta,
        "testset": "mmlu",
        "settings": asdict(settings),
        "n": per_item.height,
        "acc_micro": float(per_item["correct"].mean()),
        "acc_macro": float(by_subject["acc"].mean()),
        "subjects": {r["subject"]: {"n": r["n"], "acc": r["acc"]} for r in by_subject.to_dicts()},
        "categories": {
            r["category"]: {"n": r["n"], "acc": r["acc"]} for r in by_category.to_dicts()
        },
    }
