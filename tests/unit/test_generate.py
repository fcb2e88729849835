import pytest
import torch

from sftlab.generate import RowStop, cut_at_stop, generate
from sftlab.testing.tiny_models import build_model, build_tokenizer

PROMPTS = [
    "The capital of",
    "Question: What is the capital of Norland? Answer:",
    "A",
    "Alice was born in Ostrava. Bob plays",
]


@pytest.fixture(scope="module")
def lm():
    tokenizer = build_tokenizer()
    return build_model(tokenizer), tokenizer


def test_batched_greedy_equals_one_at_a_time(lm):
    model, tokenizer = lm
    batched = generate(model, tokenizer, PROMPTS, max_new_tokens=6, batch_size=8)
    single = [generate(model, tokenizer, [p], max_new_tokens=6)[0] for p in PROMPTS]
    assert batched == single
    assert all(len(out) == 1 for out in batched)


def test_samples_per_prompt_are_seeded(lm):
    model, tokenizer = lm
    kwargs = dict(max_new_tokens=5, num_samples=3, do_sample=True, temperature=1.0, batch_size=6)
    first = generate(model, tokenizer, PROMPTS, seed=1, **kwargs)
    assert [len(s) for s in first] == [3] * len(PROMPTS)
    assert first == generate(model, tokenizer, PROMPTS, seed=1, **kwargs)
    assert first != generate(model, tokenizer, PROMPTS, seed=2, **kwargs)


def test_cut_at_first_stop_string():
    assert cut_at_stop("Paris\nQuestion: x", ["Question", "\n"]) == "Paris"
    assert cut_at_stop("Paris", ["\n"]) == "Paris"


def test_stop_criterion_flags_rows_independently(lm):
    _, tokenizer = lm
    prompt = tokenizer("A")["input_ids"]
    rows = [prompt + tokenizer(" red\n")["input_ids"], prompt + tokenizer(" red")["input_ids"]]
    width = max(map(len, rows))
    ids = torch.tensor([r + [tokenizer.pad_token_id] * (width - len(r)) for r in rows])
    done = RowStop(tokenizer, ["\n"], len(prompt))(ids, None)
    assert done.tolist() == [True, False]


def test_generation_stops_early_when_every_row_is_done(lm):
    model, tokenizer = lm
    greedy = generate(model, tokenizer, [PROMPTS[0]], max_new_tokens=8)[0][0]
    stop = greedy[: max(1, len(greedy) // 4)]  # text the model writes within its first tokens
    calls = []
    hook = model.register_forward_hook(lambda *args: calls.append(1))
    try:
        out = generate(model, tokenizer, [PROMPTS[0]] * 2, max_new_tokens=8, stop=[stop])
    finally:
        hook.remove()
    assert out == [[""], [""]]  # cut before the stop string
    assert len(calls) < 8
