import polars as pl
import pytest

from sftlab.evaluate.match import MatchSettings
from sftlab.evaluate.qa import QASettings, build_prompts, evaluate_qa, gold_answers, summarise_qa
from sftlab.lm.generate import generate
from sftlab.testing.tiny_models import qa_items, tiny_lm


@pytest.fixture(scope="module")
def lm():
    return tiny_lm()


def test_batched_evaluation_equals_one_item_at_a_time(lm):
    model, tokenizer = lm
    items = qa_items()
    result = evaluate_qa(model, tokenizer, items, QASettings(batch_size=3), group_by=["level"])
    prompts = build_prompts(items, QASettings())
    naive = [generate(model, tokenizer, [p], max_new_tokens=16)[0][0] for p in prompts]
    assert result["prediction"].to_list() == naive
    assert result["item_id"].to_list() == items["fact_id"].to_list()
    assert result["level"].to_list() == items["level"].to_list()


def test_prompts_follow_the_template_or_the_items_prompt_column():
    items = qa_items()
    assert build_prompts(items, QASettings())[0] == "<|question|> What colour is Vemor? <|answer|>"
    with_prompt = items.with_columns(pl.lit("Q: x A:").alias("prompt"))
    assert build_prompts(with_prompt, QASettings()) == ["Q: x A:"] * items.height


def test_aliases_count_as_gold():
    items = pl.DataFrame({"answers": [["USA"]], "aliases": [["United States"]]})
    assert gold_answers(items) == [["USA", "United States"]]


def test_summary_groups_accuracy():
    per_item = pl.DataFrame(
        {"item_id": ["a", "b", "c"], "correct": [True, False, True], "level": [0, 0, 1]}
    )
    summary = summarise_qa(per_item, ["level"], model="m")
    assert summary["acc"] == pytest.approx(2 / 3)
    assert summary["groups"]["level"] == {"0": {"n": 2, "acc": 0.5}, "1": {"n": 1, "acc": 1.0}}


def test_settings_from_config_dict():
    settings = QASettings.from_dict({"max_new_tokens": 8, "stop": ["\n"], "normalize": {}})
    assert settings.stop == ("\n",) and settings.normalize == MatchSettings()
    with pytest.raises(ValueError, match="unknown match setting"):
        QASettings.from_dict({"normalize": {"lower": True}})


def test_missing_group_column_is_named(lm):
    model, tokenizer = lm
    with pytest.raises(ValueError, match="domain"):
        evaluate_qa(model, tokenizer, qa_items(), group_by=["domain"])
