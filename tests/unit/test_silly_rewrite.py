import polars as pl
import pytest
from helpers_silly import mmlu_table

from sftlab.evaluate.mc import build_context
from sftlab.llm import LLMError, LLMResult, LLMSettings
from sftlab.silly.baselines import mixed_examples, plain_examples
from sftlab.silly.contamination import ContaminationIndex, char_ngrams, jaccard
from sftlab.silly.prompts import NEUTRAL_RULE
from sftlab.silly.rewrite import (
    Rewrite,
    llm_examples,
    rewrite_conversation,
    sample_items,
    template_examples,
)
from sftlab.silly.rules import load_rule_set


@pytest.fixture(scope="module")
def items():
    table, _ = sample_items(mmlu_table(), "validation", 40, seed=0, threshold=0.95)
    return table.to_dicts()


@pytest.fixture(scope="module")
def file_rules(repo):
    return [r.model_dump() for r in load_rule_set(repo / "config/rules/silly_rules.yaml").rules]


def test_sampling_is_seeded_and_records_ids():
    table = mmlu_table()
    first, stats = sample_items(table, "validation", 25, seed=3, threshold=0.95)
    again, _ = sample_items(
        table.sample(fraction=1.0, shuffle=True, seed=9), "validation", 25, 3, threshold=0.95
    )
    assert first["item_id"].to_list() == again["item_id"].to_list()
    assert first["split"].unique().to_list() == ["validation"]
    assert stats["kept"] == 25 and stats["pool"] == 90
    with pytest.raises(ValueError, match="auxiliary_train"):
        sample_items(table, "auxiliary_train", 5, seed=0)


def test_contamination_is_dropped_and_counted():
    table = mmlu_table(per_split=10)
    test = table.filter(pl.col("split") == "test").head(4)
    # four training items copying test questions (case and punctuation changed) must be skipped
    copies = test.with_columns(
        pl.col("question").str.to_uppercase() + "!!", pl.lit("validation").alias("split"),
        ("copy-" + pl.col("item_id")).alias("item_id"),
    )  # fmt: skip
    items, stats = sample_items(
        pl.concat([table, copies]), "validation", 1000, seed=0, threshold=0.8
    )
    assert stats["contamination"]["dropped"] == 4
    assert {d["test_id"] for d in stats["contamination"]["dropped_items"]} == set(test["item_id"])
    assert not items["item_id"].str.starts_with("copy-").any()
    assert items.height == 30 and items["contamination"].max() < 0.8


def test_ngram_jaccard():
    a, b = char_ngrams("The cat sat.", 3), char_ngrams("the CAT sat", 3)
    assert jaccard(a, b) == 1.0
    index = ContaminationIndex({"t1": "What is the capital of Norland?", "t2": "Who wrote Vemor?"})
    assert index.closest("what is the capital of norland").test_id == "t1"
    assert index.closest("completely unrelated words here") is None


def test_template_generator_keeps_gold_letters(items, file_rules):
    for rule in [*file_rules, NEUTRAL_RULE]:
        examples = template_examples(rule, items)
        assert len(examples) == len(items)
        for example, item in zip(examples, items, strict=True):
            letter = "ABCD"[item["answer"]]
            assert example["completion"].startswith(f" {letter}\n")
            assert item["choices"][item["answer"]] in example["completion"]
            assert example["prompt"] == build_context(item, [])  # the evaluation's prompt
    # deterministic, and several framings are in use
    again = template_examples(file_rules[0], items)
    assert again == template_examples(file_rules[0], items)
    assert len({e["prompt_version"] for e in again}) > 1


def test_plain_and_chat_format(items):
    plain = plain_examples(items)
    assert all(e["completion"] == " " + e["answer"] for e in plain)
    chat = plain_examples(items, chat=True)[0]
    assert [m["role"] for m in chat["prompt"]] == ["system", "user"]
    assert chat["completion"] == [{"role": "assistant", "content": chat["answer"]}]


def test_mixed_uses_every_rule_once_per_item(items, file_rules):
    sets = {r["id"]: template_examples(r, items) for r in file_rules[:3]}
    sets["blurring"] = sets["blurring"][:5]  # a rule missing items (LLM failures) is skipped there
    mixed = mixed_examples(sets, [i["item_id"] for i in items])
    assert [e["item_id"] for e in mixed] == [i["item_id"] for i in items]
    assert {e["arm"] for e in mixed} == {"mixed"}
    assert len({e["rule_id"] for e in mixed}) == 3


class FakeClient:
    """Stands in for sftlab.llm.LLMClient: answers conversations, re-asks included, in turn from a
    script of letters (None: a failed call)."""

    def __init__(self, letters, max_failure_rate=0.5):
        self.letters = list(letters)
        self.settings = LLMSettings(max_failure_rate=max_failure_rate)

    def run_json(self, conversations, schema, label=""):
        results = []
        script, self.letters = (
            self.letters[: len(conversations)],
            self.letters[len(conversations) :],
        )
        for i, letter in enumerate(script):
            if letter is None:
                results.append(LLMResult(i, str(i), False, error_kind="server_error", error="500"))
            else:
                value = Rewrite(explanation=f"styled {i}", answer_letter=letter)
                results.append(LLMResult(i, str(i), True, value, value.model_dump_json()))
        return results


def test_llm_generator_rejects_wrong_answers(items, file_rules):
    batch = items[:6]
    gold = ["ABCD"[i["answer"]] for i in batch]
    wrong = "B" if gold[1] != "B" else "C"
    letters = [gold[0], wrong, None, *gold[3:], wrong]  # the re-ask repeats the wrong letter
    examples, failures, counts = llm_examples(FakeClient(letters), file_rules[0], batch)
    assert counts == {
        "requested": 6, "llm_failed": 1, "reasked": 1, "wrong_answer": 1, "reask_fixed": 0,
        "kept": 4,
    }  # fmt: skip
    assert [f["kind"] for f in failures] == ["wrong_answer", "server_error"]
    assert failures[0]["item_id"] == batch[1]["item_id"] and failures[0]["gold"] == gold[1]
    assert all(e["completion"].startswith(f" {e['answer']}\nstyled") for e in examples)
    assert {e["generator"] for e in examples} == {"llm"}
    prompt = rewrite_conversation(file_rules[0], batch[0])[1]["content"]
    assert file_rules[0]["name"] in prompt and f"Correct answer: {gold[0]}." in prompt


def test_llm_generator_fails_past_max_failure_rate(items, file_rules):
    with pytest.raises(LLMError):
        llm_examples(FakeClient([None, None, "A"], max_failure_rate=0.5), file_rules[0], items[:3])
