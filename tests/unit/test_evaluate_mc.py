import numpy as np
import pytest
import torch

from sftlab.evaluate.mc import (
    MCSettings,
    build_context,
    encode_requests,
    evaluate_mc,
    fewshot_pool,
    summarise_mc,
)
from sftlab.testing.tiny_models import (
    CHAT_TEMPLATE,
    mmlu_items,
    tiny_lm,
)


@pytest.fixture(scope="module")
def lm():
    return tiny_lm(hidden=48, layers=3)


def reference_scores(model, tokenizer, items, settings):
    """Each (context, continuation) scored alone, unpadded, no cache: the harness's computation."""
    shots = fewshot_pool(items, settings)
    rows = [r for r in items.iter_rows(named=True) if r["split"] == "test"]
    chat = tokenizer if settings.chat_template else None
    contexts = [build_context(r, shots.get(r["subject"], []), chat) for r in rows]
    ctx_ids, cont_ids = encode_requests(
        tokenizer, contexts, not settings.chat_template, chat=settings.chat_template
    )
    out = []
    with torch.no_grad():
        for ctx, conts in zip(ctx_ids, cont_ids, strict=True):
            row = []
            for cont in conts:
                logits = model(torch.tensor([ctx + cont])).logits[0]
                logprobs = torch.log_softmax(logits.float(), -1)
                row.append(sum(float(logprobs[len(ctx) - 1 + j, t]) for j, t in enumerate(cont)))
            out.append(row)
    return np.array(out)


def test_prompt_is_the_harness_mmlu_format():
    items = mmlu_items(subjects=("high_school_physics",), dev=2, test=1)
    shots = fewshot_pool(items, MCSettings(num_fewshot=1))
    item = items.filter(items["split"] == "test").row(0, named=True)
    text = build_context(item, shots["high_school_physics"])
    assert text == (
        "The following are multiple choice questions (with answers) about high school physics.\n\n"
        "What colour is Vemor? (dev 0)\nA. red\nB. green\nC. blue\nD. yellow\nAnswer: A\n\n"
        "What colour is Vemor? (test 0)\nA. red\nB. green\nC. blue\nD. yellow\nAnswer:"
    )


@pytest.mark.parametrize("shots", [0, 3])
def test_prefix_reuse_and_batching_match_full_scoring(lm, shots):
    model, tokenizer = lm
    items = mmlu_items()
    reference = reference_scores(model, tokenizer, items, MCSettings(num_fewshot=shots))
    for reuse in (False, True):
        settings = MCSettings(num_fewshot=shots, prefix_reuse=reuse, batch_size=4)
        result = evaluate_mc(model, tokenizer, items, settings)
        scores = np.array(result["logprobs"].to_list())
        assert np.abs(scores - reference).max() < 1e-4
        assert result["prediction"].to_list() == reference.argmax(1).tolist()


def test_chat_template_scoring_matches_with_prefix_reuse(lm):
    model, tokenizer = lm
    tokenizer.chat_template = CHAT_TEMPLATE
    try:
        items = mmlu_items(dev=3, test=4)
        settings = MCSettings(num_fewshot=2, chat_template=True, batch_size=3)
        reference = reference_scores(model, tokenizer, items, settings)
        scores = np.array(evaluate_mc(model, tokenizer, items, settings)["logprobs"].to_list())
        assert np.abs(scores - reference).max() < 1e-4
    finally:
        tokenizer.chat_template = None


def test_per_item_output_and_summary(lm):
    model, tokenizer = lm
    items = mmlu_items(subjects=("astronomy", "philosophy", "demo_facts"), test=4)
    result = evaluate_mc(model, tokenizer, items, MCSettings())
    assert result.height == 12
    assert set(result.columns) >= {"item_id", "prediction", "correct", "logprobs", "prompt_hash"}
    assert result["prompt_hash"].n_unique() == 12
    summary = summarise_mc(result, MCSettings(), model="tiny", run="base_s0")
    assert set(summary["categories"]) == {"STEM", "humanities", "other"}
    assert summary["acc_micro"] == pytest.approx(result["correct"].mean())
    per_subject = [s["acc"] for s in summary["subjects"].values()]
    assert summary["acc_macro"] == pytest.approx(sum(per_subject) / 3)


def test_too_few_dev_items_for_k_shot(lm):
    model, tokenizer = lm
    with pytest.raises(ValueError, match="fewer than num_fewshot=5"):
        evaluate_mc(model, tokenizer, mmlu_items(dev=2), MCSettings(num_fewshot=5))
