"""The answer tokens fine-tuning trains are the tokens evaluate_mc scores, in base and chat modes.

Training tokens are computed as TRL 1.x's SFTTrainer does for prompt-completion rows
(`tokenize_fn`: the completion is what follows the longest common prefix of the tokenized prompt
and the tokenized prompt + completion). The chat template is Llama 3's, on a tokenizer built here.
"""

import pytest
from helpers_silly import mmlu_table

from sftlab.evaluate.mc import LETTERS, build_context, encode_requests
from sftlab.silly.rewrite import make_example
from sftlab.testing.tiny_models import build_tokenizer

LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    " + message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)


@pytest.fixture(scope="module")
def tokenizer():
    tok = build_tokenizer()
    tok.add_special_tokens(
        {"additional_special_tokens": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]}
    )
    tok.chat_template = LLAMA3_TEMPLATE
    return tok


@pytest.fixture(scope="module")
def item():
    table = mmlu_table(per_split=3)
    rows = table.filter(table["split"] == "test").iter_rows(named=True)
    return next(r for r in rows if r["answer"] == 2)


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def trained_completion(tokenizer, example) -> list[int]:
    """The completion tokens TRL trains on (completion_mask 1) for one prompt-completion row."""
    if isinstance(example["prompt"], list):
        render = tokenizer.apply_chat_template
        prompt = render(example["prompt"], tokenize=False, add_generation_prompt=True)
        whole = render(example["prompt"] + example["completion"], tokenize=False)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        whole_ids = tokenizer(whole, add_special_tokens=False)["input_ids"]
    else:  # TRL appends EOS to plain-text completions
        prompt_ids = tokenizer(example["prompt"])["input_ids"]
        text = example["prompt"] + example["completion"] + tokenizer.eos_token
        whole_ids = tokenizer(text)["input_ids"]
    return whole_ids[_common_prefix(prompt_ids, whole_ids) :]


@pytest.mark.parametrize("chat", [False, True], ids=["base", "chat"])
def test_trained_answer_tokens_are_the_scored_ones(tokenizer, item, chat):
    example = make_example(item, "neutral", "Because the third option holds.", chat)
    trained = trained_completion(tokenizer, example)
    context = build_context(item, [], tokenizer if chat else None)
    _, cont_ids = encode_requests(tokenizer, [context], add_special_tokens=not chat, chat=chat)
    scored = cont_ids[0][item["answer"]]
    assert scored and trained[: len(scored)] == scored
    others = [cont_ids[0][k] for k in range(len(LETTERS)) if k != item["answer"]]
    assert all(trained[: len(o)] != o for o in others)


def test_a_space_before_the_chat_answer_is_another_token(tokenizer, item):
    """Scoring " C" after the chat generation prompt (the old behaviour) misses what was trained."""
    example = make_example(item, "plain", None, chat=True)
    trained = trained_completion(tokenizer, example)
    context = build_context(item, [], tokenizer)
    _, spaced = encode_requests(tokenizer, [context], add_special_tokens=False, chat=False)
    assert trained[: len(spaced[0][2])] != spaced[0][2]
