"""sftlab's decode loop against transformers `generate`, on tiny random Llamas: greedy parity, one
prompt computation per prompt, rows leaving the batch, reproducible row-independent sampling."""

import copy

import pytest
import torch

from sftlab.lm.generate import complete, cut_at_stop, generate
from sftlab.lm.padding import left_pad
from sftlab.testing.tiny_models import build_model, build_tokenizer

PROMPTS = [
    "The capital of",
    "Question: What is the capital of Norland? Answer:",
    "A",
    "Alice was born in Ostrava. Bob plays",
]
SAMPLED = dict(max_new_tokens=6, num_samples=3, do_sample=True, temperature=1.0, batch_size=6)


@pytest.fixture(scope="module")
def lm():
    tokenizer = build_tokenizer()
    return build_model(tokenizer), tokenizer


def reference_greedy(model, tokenizer, prompts, max_new_tokens):
    """transformers `generate` on the prompts, left-padded in one batch."""
    tokenizer = copy.copy(tokenizer)
    tokenizer.padding_side = "left"
    batch = tokenizer(prompts, return_tensors="pt", padding=True)
    out = model.generate(
        **batch,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    width = batch["input_ids"].shape[1]
    return [[t] for t in tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)]


@pytest.mark.parametrize("shape", [dict(hidden=32, layers=2), dict(hidden=48, layers=3, seed=1)])
def test_greedy_equals_transformers_generate(shape):
    tokenizer = build_tokenizer()
    model = build_model(tokenizer, **shape)
    ours = generate(model, tokenizer, PROMPTS, max_new_tokens=10, batch_size=8)
    assert ours == reference_greedy(model, tokenizer, PROMPTS, 10)
    assert ours == [generate(model, tokenizer, [p], max_new_tokens=10)[0] for p in PROMPTS]


def test_greedy_stops_at_eos_as_transformers_does(lm):
    model, tokenizer = lm
    # make the token the model writes third the end-of-sequence token
    ids = complete_ids(model, tokenizer, PROMPTS[1], 3)
    eos = copy.deepcopy(tokenizer)
    eos.eos_token = tokenizer.convert_ids_to_tokens(ids[2])
    ours = complete(model, eos, PROMPTS, max_new_tokens=10, batch_size=8)
    assert [[row[0].text] for row in ours] == reference_greedy(model, eos, PROMPTS, 10)
    assert ours[1][0].finish == "stop"
    # it ended at the third token, which is decoded as `generate`'s output is (skipping specials)
    assert ours[1][0].text == eos.decode(ids, skip_special_tokens=True)


def complete_ids(model, tokenizer, prompt, n):
    batch = tokenizer([prompt], return_tensors="pt")
    out = model.generate(**batch, max_new_tokens=n, do_sample=False)
    return out[0, batch["input_ids"].shape[1] :].tolist()


def test_each_prompt_is_computed_once_for_its_samples(lm):
    model, tokenizer = lm
    shapes = []
    hook = model.register_forward_hook(
        lambda m, a, kw, out: shapes.append(kw["input_ids"].shape), with_kwargs=True
    )
    try:
        complete(model, tokenizer, PROMPTS, seed=3, **SAMPLED)
    finally:
        hook.remove()
    assert shapes[0][0] == SAMPLED["batch_size"] // SAMPLED["num_samples"]  # 2 prompts, not 6 rows
    assert shapes[1] == (6, 1)  # then one token per sample row


def test_samples_are_seeded_and_differ_within_a_prompt(lm):
    model, tokenizer = lm
    first = generate(model, tokenizer, PROMPTS, seed=1, **SAMPLED)
    assert [len(s) for s in first] == [3] * len(PROMPTS)
    assert first == generate(model, tokenizer, PROMPTS, seed=1, **SAMPLED)
    assert first != generate(model, tokenizer, PROMPTS, seed=2, **SAMPLED)
    assert all(len(set(samples)) > 1 for samples in first)


def test_top_k_one_is_greedy(lm):
    model, tokenizer = lm
    greedy = generate(model, tokenizer, PROMPTS, max_new_tokens=6)
    sampled = generate(model, tokenizer, PROMPTS, **{**SAMPLED, "top_k": 1, "temperature": 0.7})
    assert sampled == [row * 3 for row in greedy]


def test_a_rows_samples_do_not_depend_on_other_rows_stopping(lm):
    model, tokenizer = lm
    plain = complete(model, tokenizer, PROMPTS, seed=5, **SAMPLED)
    # stop-on-hit for prompt 1 only, after its first character: its rows leave the batch at once
    early = complete(
        model, tokenizer, PROMPTS, seed=5, done=lambda p, t: p == 1 and bool(t), **SAMPLED
    )
    assert all(c.finish == "hit" for c in early[1])
    assert [len(c.text) for c in early[1]] < [len(c.text) for c in plain[1]]
    for p in (0, 2, 3):
        assert early[p] == plain[p]


def test_stop_on_hit_keeps_greedy_texts_up_to_the_hit(lm):
    model, tokenizer = lm
    full = complete(model, tokenizer, PROMPTS, max_new_tokens=8)
    gold = [row[0].text[2:4] for row in full]
    hit = lambda p, text: gold[p] in text  # noqa: E731
    early = complete(model, tokenizer, PROMPTS, max_new_tokens=8, done=hit)
    for g, a, b in zip(gold, full, early, strict=True):
        assert b[0].finish == "hit" and (g in a[0].text) and (g in b[0].text)
        assert a[0].text.startswith(b[0].text)


def test_stop_strings_cut_and_finish_reasons(lm):
    model, tokenizer = lm
    full = complete(model, tokenizer, PROMPTS, max_new_tokens=8)
    assert {row[0].finish for row in full} == {"length"}
    stop = full[0][0].text[3:5]
    cut = complete(model, tokenizer, PROMPTS, max_new_tokens=8, stop=[stop])
    assert cut[0][0] == type(cut[0][0])(full[0][0].text[:3], "stop")
    for a, b in zip(full, cut, strict=True):
        assert b[0].finish == ("stop" if stop in a[0].text else "length")
        assert b[0].text == cut_at_stop(a[0].text, [stop])


def test_cut_at_first_stop_string():
    assert cut_at_stop("Paris\nQuestion: x", ["Question", "\n"]) == "Paris"
    assert cut_at_stop("Paris", ["\n"]) == "Paris"


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


def test_finished_rows_leave_the_batch(lm):
    model, tokenizer = lm
    rows = []
    hook = model.register_forward_hook(
        lambda m, a, kw, out: rows.append(kw["input_ids"].shape[0]), with_kwargs=True
    )
    try:
        complete(model, tokenizer, PROMPTS, seed=5, done=lambda p, t: p == 1 and bool(t), **SAMPLED)
    finally:
        hook.remove()
    # batches: prompts 1+3 (longest first), then 0+2; prompt 1's rows stop after one token
    assert rows[:3] == [2, 3, 3]


@torch.inference_mode()
def test_empty_prompt_list(lm):
    assert generate(*lm, []) == []


def test_left_pad_ends_rows_together_and_counts_positions_from_the_offset():
    ids, mask, positions = left_pad([[5, 6, 7], [8]], pad_id=0, offset=2)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert positions.tolist() == [[2, 3, 4], [2, 2, 2]]
