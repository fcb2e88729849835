"""Rule-styled SFT examples from MMLU items: sampling, the example format, template and LLM
generators.

Example format (decided here, documented in the README): the prompt is the item exactly as the
zero-shot MMLU evaluation shows it (subject line, question, "A. .." lines, "Answer:"), and the
completion is " {letter}" followed by a newline and the rule-styled explanation. With `chat`
(evaluate.mc.chat_template) the same text comes as chat messages, as evaluate_mc renders them, and
the assistant turn starts with "{letter}". Evaluation scores `evaluate.mc.answer_text` (" A" after
"Answer:", "A" after a chat generation prompt), so the letter comes first as the very tokens scored,
and every arm trains the same answer token; only what follows it differs between arms (nothing for
`plain`, a style-free explanation for `neutral`). The question and its choices are never rewritten,
so all arms share the same items and the MMLU test format.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, Field

from sftlab.evaluate.mc import LETTERS, answer_text, describe_subject, format_question
from sftlab.io import stable_id
from sftlab.llm import check_failure_rate
from sftlab.silly import prompts
from sftlab.silly.contamination import ContaminationIndex

log = logging.getLogger(__name__)

GENERIC_TOPIC = "general knowledge"  # auxiliary_train items have no subject
# Framings for rules that bring none (LLM-derived rules under the template generator).
GENERIC_FRAMINGS = [
    '{rule_name}: {rule_how_to_apply} Applied here, the answer is "{answer}".',
    'Following {rule_name}, "{distractor}" does not hold up, and "{answer}" does.',
    'Seen through {rule_name}, the question about {topic} points to "{answer}".',
]


def topic_of(subject: str) -> str:
    return GENERIC_TOPIC if subject in ("", "auxiliary_train") else subject.replace("_", " ")


def describe(item: dict[str, Any]) -> str:
    """The evaluation's subject line ("The following are ... about {subject}.")."""
    return describe_subject(topic_of(item["subject"]))


def make_example(
    item: dict[str, Any], arm: str, explanation: str | None, chat: bool = False, **provenance: Any
) -> dict[str, Any]:
    """One SFT row in the evaluation's format: plain text, or (chat) the messages evaluate_mc
    renders through the chat template: the subject line as system turn, the question as user turn.
    """
    letter = LETTERS[int(item["answer"])]
    question = format_question(item["question"], list(item["choices"]))
    tail = "" if explanation is None else "\n" + explanation.strip()
    if chat:
        prompt: Any = [
            {"role": "system", "content": describe(item).strip()},
            {"role": "user", "content": question},
        ]
        completion: Any = [{"role": "assistant", "content": answer_text(letter, chat) + tail}]
    else:
        prompt, completion = describe(item) + question, answer_text(letter, chat) + tail
    return {
        "prompt": prompt,
        "completion": completion,
        "item_id": item["item_id"],
        "subject": item["subject"],
        "arm": arm,
        "answer": letter,
        **provenance,
    }


def sample_items(
    mmlu: pl.DataFrame,
    split: str,
    size: int,
    seed: int,
    ngram: int = 5,
    threshold: float = 0.8,
    test_split: str = "test",
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """`size` items of `split` in a seeded order, skipping near-duplicates of test questions.

    Every arm rewrites these same items. Returns them (with `contamination`: the similarity to the
    closest test question) and the counts.
    """
    pool = mmlu.filter(pl.col("split") == split).sort("item_id")
    if pool.is_empty():
        raise ValueError(
            f"silly.source.split: no MMLU items in split '{split}' (is it in data.mmlu.splits?)"
        )
    test = mmlu.filter(pl.col("split") == test_split)
    index = ContaminationIndex(dict(zip(test["item_id"], test["question"], strict=True)), ngram)
    order = pool.sample(fraction=1.0, shuffle=True, seed=seed)
    kept, dropped, similarity = [], [], []
    for row in order.iter_rows(named=True):
        if len(kept) == size:
            break
        match = index.closest(row["question"])
        score = match.similarity if match else 0.0
        if score >= threshold:
            dropped.append(
                {"item_id": row["item_id"], "test_id": match.test_id, "similarity": score}
            )
            continue
        kept.append(row)
        similarity.append(score)
    if len(kept) < size:
        log.warning("split '%s' gave %d clean items, fewer than size=%d", split, len(kept), size)
    items = pl.DataFrame(kept, schema=mmlu.schema).with_columns(
        pl.Series("contamination", similarity, dtype=pl.Float64)
    )
    stats = {
        "split": split,
        "size": size,
        "seed": seed,
        "pool": pool.height,
        "examined": len(kept) + len(dropped),
        "kept": len(kept),
        "contamination": {
            "ngram": ngram,
            "threshold": threshold,
            "test_questions": test.height,
            "dropped": len(dropped),
            "dropped_items": dropped,
        },
    }
    return items, stats


def template_explanation(rule: dict[str, Any], item: dict[str, Any]) -> tuple[str, int]:
    """The rule applied through one of its fixed framings, chosen by a hash of (rule, item)."""
    framings = rule.get("framings") or GENERIC_FRAMINGS
    choice = int(stable_id(rule["id"], item["item_id"]), 16) % len(framings)
    answer = int(item["answer"])
    wrong = [i for i in range(len(item["choices"])) if i != answer]
    distractor = item["choices"][wrong[int(stable_id("distractor", item["item_id"]), 16) % 3]]
    text = framings[choice].format(
        letter=LETTERS[answer],
        answer=item["choices"][answer],
        distractor=distractor,
        topic=topic_of(item["subject"]),
        rule_name=rule["name"],
        rule_how_to_apply=rule["how_to_apply"],
    )
    return text, choice


def template_examples(
    rule: dict[str, Any], items: list[dict[str, Any]], chat: bool = False
) -> list[dict[str, Any]]:
    examples = []
    for item in items:
        text, framing = template_explanation(rule, item)
        examples.append(
            make_example(
                item,
                rule["id"],
                text,
                chat,
                rule_id=rule["id"],
                generator="template",
                generator_model=None,
                prompt_version=f"framing-{framing}",
            )
        )
    return examples


class Rewrite(BaseModel):
    explanation: str = Field(min_length=1)
    answer_letter: Literal["A", "B", "C", "D"]


def rewrite_conversation(rule: dict[str, Any], item: dict[str, Any]) -> list[dict[str, str]]:
    answer = int(item["answer"])
    user = prompts.REWRITE_USER.format(
        rule_name=rule["name"],
        rule_definition=rule["definition"],
        rule_how_to_apply=rule["how_to_apply"],
        topic=topic_of(item["subject"]),
        question=format_question(item["question"], list(item["choices"])).removesuffix("\nAnswer:"),
        letter=LETTERS[answer],
        answer=item["choices"][answer],
    )
    return [
        {"role": "system", "content": prompts.REWRITE_SYSTEM},
        {"role": "user", "content": user},
    ]


def reask_conversation(
    rule: dict[str, Any], item: dict[str, Any], reply: str, given: str
) -> list[dict[str, str]]:
    """The rewrite conversation, the reply with a wrong letter, and the gold letter restated."""
    answer = int(item["answer"])
    user = prompts.REASK_USER.format(
        given=given, letter=LETTERS[answer], answer=item["choices"][answer]
    )
    return [
        *rewrite_conversation(rule, item),
        {"role": "assistant", "content": reply},
        {"role": "user", "content": user},
    ]


def llm_examples(
    client, rule: dict[str, Any], items: list[dict[str, Any]], chat: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """(examples, failures, counts). An answer whose letter differs from the gold one is re-asked
    once with the gold letter restated (counted: `reasked`, `reask_fixed`); a letter still wrong
    is rejected (`wrong_answer`). Rejected items are dropped from every arm later
    (`sftlab.silly.align`).

    Raises sftlab.llm.LLMError when more calls failed than the client's max_failure_rate.
    """
    conversations = [rewrite_conversation(rule, item) for item in items]
    results = client.run_json(conversations, Rewrite, label=f"rewrite {rule['id']}")
    check_failure_rate(results, client.settings.max_failure_rate)
    wrong = [
        k
        for k, (item, r) in enumerate(zip(items, results, strict=True))
        if r.ok and r.value.answer_letter != LETTERS[int(item["answer"])]
    ]
    if wrong:
        reasks = [
            reask_conversation(rule, items[k], results[k].text, results[k].value.answer_letter)
            for k in wrong
        ]
        second = client.run_json(reasks, Rewrite, label=f"re-ask {rule['id']}")
        for k, result in zip(wrong, second, strict=True):
            if result.ok:  # a failed re-ask keeps the first answer, rejected below
                results[k] = result
    examples, failures = [], []
    counts = {"requested": len(items), "llm_failed": 0, "reasked": len(wrong), "wrong_answer": 0}
    for item, result in zip(items, results, strict=True):
        gold = LETTERS[int(item["answer"])]
        if not result.ok:
            counts["llm_failed"] += 1
            failures.append({"item_id": item["item_id"], "kind": result.error_kind, **_why(result)})
        elif result.value.answer_letter != gold:
            counts["wrong_answer"] += 1
            failures.append(
                {
                    "item_id": item["item_id"],
                    "kind": "wrong_answer",
                    "gold": gold,
                    "answer_letter": result.value.answer_letter,
                    "text": result.text,
                }
            )
        else:
            examples.append(
                make_example(
                    item,
                    rule["id"],
                    result.value.explanation,
                    chat,
                    rule_id=rule["id"],
                    generator="llm",
                    generator_model=client.settings.model,
                    prompt_version=prompts.VERSIONS["rewrite"],
                    cached=result.cached,
                )
            )
    counts["reask_fixed"] = counts["reasked"] - counts["wrong_answer"]
    counts["kept"] = len(examples)
    return examples, failures, counts


def _why(result) -> dict[str, Any]:
    return {"error": result.error, "text": result.text, "requests": result.requests}
