"""Control arms: `plain` (the same items, letter only) and `mixed` (every rule, one per item)."""

from __future__ import annotations

from typing import Any

from sftlab.io import stable_id
from sftlab.silly.rewrite import make_example
from sftlab.silly.rules import MIXED


def plain_examples(items: list[dict[str, Any]], chat: bool = False) -> list[dict[str, Any]]:
    """The paper's baseline: the same MMLU items as SFT examples without any rule."""
    return [
        make_example(
            item,
            "plain",
            None,
            chat,
            rule_id=None,
            generator="plain",
            generator_model=None,
            prompt_version=None,
        )
        for item in items
    ]


def mixed_examples(
    rule_sets: dict[str, list[dict[str, Any]]], item_ids: list[str]
) -> list[dict[str, Any]]:
    """One example per item, taken from a rule chosen by a hash of the item among the rules that
    have one (an LLM rule set may miss items that failed). Same size as the other arms, no new LLM
    calls.
    """
    by_rule = {rule: {ex["item_id"]: ex for ex in rows} for rule, rows in rule_sets.items()}
    rules = sorted(by_rule)
    examples = []
    for item_id in item_ids:
        available = [rule for rule in rules if item_id in by_rule[rule]]
        if not available:
            continue
        rule = available[int(stable_id(MIXED, item_id), 16) % len(available)]
        examples.append({**by_rule[rule][item_id], "arm": MIXED})
    return examples
