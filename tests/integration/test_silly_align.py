"""Same items in every arm: re-ask of wrong letters, common items, the kept-share gate.

The LLM is a local scripted server that always answers "A", whatever the gold letter.
"""

import json

import pytest
from helpers_silly import mmlu_table

from sftlab.llm import LLMClient, LLMSettings
from sftlab.silly.align import TooFewItems, check_same_items, common_items, keep
from sftlab.silly.baselines import mixed_examples, plain_examples
from sftlab.silly.prompts import NEUTRAL_RULE
from sftlab.silly.rewrite import llm_examples, sample_items, template_examples
from sftlab.testing.llm_server import ScriptedLLMServer


def always_a(messages) -> str:
    return json.dumps({"explanation": "It is A.", "answer_letter": "A"})


@pytest.fixture(scope="module")
def items():
    table, _ = sample_items(mmlu_table(), "validation", 40, seed=0, threshold=0.95)
    return table.to_dicts()


def test_always_a_server_is_reasked_once_and_dropped_from_every_arm(items, tmp_path):
    rule = {**NEUTRAL_RULE, "id": "stubborn"}
    gold_a = [i["item_id"] for i in items if i["answer"] == 0]
    with ScriptedLLMServer(answer=always_a) as server:
        settings = LLMSettings(
            model="openai/test-model",
            transport="http",
            api_base=server.url,
            cache_path=str(tmp_path / "llm.sqlite"),
            max_retries=0,
        )
        client = LLMClient(settings)
        try:
            examples, failures, counts = llm_examples(client, rule, items)
        finally:
            client.close()
        wrong = len(items) - len(gold_a)
        # one rewrite per item, then one re-ask, with the gold letter restated, per wrong letter
        assert server.requests == len(items) + wrong
    assert counts == {
        "requested": 40, "llm_failed": 0, "reasked": wrong, "wrong_answer": wrong,
        "reask_fixed": 0, "kept": len(gold_a),
    }  # fmt: skip
    assert [e["item_id"] for e in examples] == gold_a
    assert {f["kind"] for f in failures} == {"wrong_answer"}

    template = template_examples(NEUTRAL_RULE, items)  # an arm that never fails
    ids = [i["item_id"] for i in items]
    with pytest.raises(TooFewItems, match=rf"min_kept_share=0.5 \(stubborn: {wrong} failed"):
        common_items({"stubborn": examples, "neutral": template}, ids, min_kept_share=0.5)
    kept, report = common_items({"stubborn": examples, "neutral": template}, ids, 0.2)
    assert kept == gold_a and report["kept_share"] == pytest.approx(len(gold_a) / 40)
    assert report["per_arm"] == {
        "stubborn": {"generated": len(gold_a), "failed": wrong},
        "neutral": {"generated": 40, "failed": 0},
    }
    arms = {
        "stubborn": keep(examples, kept),
        "neutral": keep(template, kept),
        "plain": plain_examples([i for i in items if i["item_id"] in set(kept)]),
        "mixed": mixed_examples({"stubborn": keep(examples, kept)}, kept),
    }
    for rows in arms.values():
        assert [r["item_id"] for r in rows] == kept


def test_a_fixed_reask_keeps_the_item(items, tmp_path):
    item = next(i for i in items if i["answer"] == 2)

    def stubborn_once(messages) -> str:
        letter = "C" if len(messages) > 2 else "A"  # the re-ask conversation is longer
        return json.dumps({"explanation": f"It is {letter}.", "answer_letter": letter})

    with ScriptedLLMServer(answer=stubborn_once) as server:
        settings = LLMSettings(
            model="openai/test-model", transport="http", api_base=server.url,
            cache_path=str(tmp_path / "llm.sqlite"), max_retries=0,
        )  # fmt: skip
        client = LLMClient(settings)
        try:
            examples, failures, counts = llm_examples(client, NEUTRAL_RULE, [item])
        finally:
            client.close()
    assert counts["reasked"] == 1 and counts["reask_fixed"] == 1 and counts["kept"] == 1
    assert failures == [] and examples[0]["completion"] == " C\nIt is C."


def test_stale_arm_sets_stop_the_summary():
    kept = ["a", "b", "c"]
    check_same_items({"r1": ["a", "b", "c"], "plain": ["c", "b", "a"]}, kept)
    with pytest.raises(ValueError, match=r"\['plain'\].*--forcerun results/silly/sets/plain.jsonl"):
        check_same_items(
            {"r1": kept, "plain": ["a", "b", "c", "d"]},
            kept,
            {"r1": "results/silly/sets/r1.jsonl", "plain": "results/silly/sets/plain.jsonl"},
        )
