"""The teacher-forcing scorer: batched log-probabilities of continuations given contexts, with
optional shared-prefix KV reuse. Multiple-choice evaluation scores its answer letters with it, the
teacher-forcing memory estimator its objects (`continuation_logprobs`).

A request is (context token ids, [continuation token ids, ...]). Continuations that differ only in
their last token (MMLU's " A".." D") are scored by one forward pass; others get a row each. Rows
are left-padded so every row ends at the same position and only the last few positions' logits are
computed. With `shared_prefix = p > 0`, all contexts share their
first p tokens: those are run once, and their KV cache is repeated over each batch.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from sftlab.lm.padding import left_pad, pad_id


@dataclass
class _Row:
    ids: list[int]
    targets: list[tuple[int, int, list[int]]]  # (request, choice, continuation tokens)


def common_prefix_length(seqs: Sequence[Sequence[int]]) -> int:
    """Length of the longest token prefix shared by all sequences."""
    if not seqs:
        return 0
    first = seqs[0]
    n = min(len(s) for s in seqs)
    for seq in seqs[1:]:
        i = 0
        while i < n and seq[i] == first[i]:
            i += 1
        n = i
    return n


def _rows(contexts, continuations) -> list[_Row]:
    """One row per distinct context + continuation[:-1]: continuations that differ only in their
    last token (" A".." D", whether one token or a shared space then a letter) share a row."""
    rows = []
    for r, (ctx, conts) in enumerate(zip(contexts, continuations, strict=True)):
        by_stem: dict[tuple[int, ...], _Row] = {}
        for j, c in enumerate(conts):
            stem = tuple(c[:-1])
            if stem not in by_stem:
                by_stem[stem] = _Row(list(ctx) + list(stem), [])
                rows.append(by_stem[stem])
            by_stem[stem].targets.append((r, j, list(c)))
    return rows


def accepts_logits_to_keep(model) -> bool:
    return "logits_to_keep" in inspect.signature(model.forward).parameters


@torch.inference_mode()
def score_continuations(
    model,
    contexts: Sequence[Sequence[int]],
    continuations: Sequence[Sequence[Sequence[int]]],
    batch_size: int = 16,
    shared_prefix: int = 0,
    pad_id: int = 0,
    on_batch: Callable[[int], None] | None = None,
    temperature: float = 1.0,
) -> list[list[float]]:
    """Sum of log-probabilities of each continuation after its context, per request and choice,
    with the logits divided by `temperature`.

    `shared_prefix` tokens at the start of every context are computed once and reused (they must
    be identical across contexts and leave at least one context token per request).
    """
    device = next(model.parameters()).device
    scores = [[0.0] * len(c) for c in continuations]
    if not contexts:
        return scores
    prefix_cache = None
    if shared_prefix > 0:
        if shared_prefix >= min(len(c) for c in contexts):
            raise ValueError("shared_prefix must leave at least one context token per request")
        prefix = torch.tensor([list(contexts[0][:shared_prefix])], device=device)
        prefix_cache = model(input_ids=prefix, use_cache=True).cache
    rows = sorted(_rows(contexts, continuations), key=lambda row: -len(row.ids))
    keep_arg = accepts_logits_to_keep(model)
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        seqs = [row.ids[shared_prefix:] for row in batch]
        input_ids, mask, positions = left_pad(seqs, pad_id, offset=shared_prefix)
        keep = max(len(t[2]) for row in batch for t in row.targets)
        kwargs = {"logits_to_keep": keep} if keep_arg else {}
        if prefix_cache is not None:
            cache = copy.deepcopy(prefix_cache)
            cache.batch_repeat_interleave(len(batch))
            mask = torch.cat([torch.ones((len(batch), shared_prefix), dtype=torch.long), mask], 1)
            kwargs.update(cache=cache, use_cache=True)
        logits = model(
            input_ids=input_ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            **kwargs,
        ).logits[:, -keep:]
        logprobs = torch.log_softmax(logits.float() / temperature, dim=-1)
        for i, row in enumerate(batch):
            for r, j, tokens in row.targets:
                first = keep - len(tokens)
                idx = torch.arange(first, keep, device=logprobs.device)
                tok = torch.tensor(tokens, device=logprobs.device)
                scores[r][j] = float(logprobs[i, idx, tok].sum())
        if on_batch is not None:
            on_batch(len(batch))
    return scores


def continuation_logprobs(
    model,
    tokenizer,
    pairs: Sequence[tuple[str, str]],
    temperature: float = 1.0,
    batch_size: int = 64,
    on_batch: Callable[[int], None] | None = None,
) -> list[float]:
    """log P(continuation | prompt) per (prompt, continuation) at `temperature`.

    Prompt and continuation are tokenised separately and concatenated, so the continuation's tokens
    are the same whatever the prompt (the way a sampled continuation would be decoded).
    """
    contexts = [tokenizer(prompt)["input_ids"] for prompt, _ in pairs]
    conts = [[tokenizer(cont, add_special_tokens=False)["input_ids"]] for _, cont in pairs]
    scores = score_continuations(
        model,
        contexts,
        conts,
        batch_size,
        pad_id=pad_id(tokenizer),
        on_batch=on_batch,
        temperature=temperature,
    )
    return [s[0] for s in scores]
