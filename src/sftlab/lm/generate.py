"""Batched text generation with sftlab's own decode loop: one prompt computation per prompt, rows
that leave the batch as soon as they finish, and sampling that does not depend on other rows.

Used by short-answer evaluation (greedy), memory probing (several samples per prompt) and the demo
world's validity check. Per batch of prompts (sorted by token length, longest first, left-padded):

- each distinct prompt is prefilled once and its KV cache repeated for its `num_samples` rows,
  as serving engines share one prompt computation across n samples;
- rows decode step by step; a row that finishes (EOS, a stop string, `done` = stop-on-hit, the
  token budget) leaves the batch and the KV cache at once, so compute follows the rows still
  running (transformers' `generate` keeps finished rows decoding, padded, until the batch ends);
- sampling draws one uniform number per row and step for the batch's full original shape, up front,
  and picks a token by inverse CDF, so a row's samples depend on the seed, the batching and its own
  tokens only, never on when other rows stop. Temperature, top-k and top-p are transformers' own
  logits warpers (same semantics as `generate`); greedy is argmax and equals `generate`'s greedy
  output token for token. The model's generation_config is not consulted: the arguments decide.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from transformers import (
    DynamicCache,
    LogitsProcessorList,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from sftlab.lm.loglik import accepts_logits_to_keep
from sftlab.lm.padding import left_pad, pad_id

# Bumped whenever the loop's samples for the same seed change; part of the hf backend's identity
# (the probe's shard key), so shards sampled by an older loop are never mixed with new ones.
# 1: transformers `generate`; 2: this loop (shared prefill, rows leave the batch, inverse CDF).
DECODE_VERSION = 2


@dataclass(frozen=True)
class Completion:
    text: str
    finish: str  # "stop": EOS or a stop string; "hit": `done` ended it; "length": max_new_tokens


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """`text` up to (not including) the earliest occurrence of any stop string."""
    end = len(text)
    for s in stop:
        if s and (i := text.find(s)) != -1:
            end = min(end, i)
    return text[:end]


def generate(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], **kwargs
) -> list[list[str]]:
    """Continue each prompt; return, per prompt in input order, `num_samples` completion texts.

    Keyword arguments as `complete`'s.
    """
    return [[c.text for c in row] for row in complete(model, tokenizer, prompts, **kwargs)]


Picker = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def token_picker(do_sample: bool, temperature: float, top_p: float, top_k: int | None) -> Picker:
    """`pick(logits, uniforms)`: one token per row; argmax when not sampling, else the token whose
    interval of the warped distribution's CDF holds the row's uniform number.
    """
    if not do_sample:
        return lambda logits, _: logits.argmax(-1)
    warpers = LogitsProcessorList()
    if temperature != 1.0:  # the warpers `generate` applies, in its order
        warpers.append(TemperatureLogitsWarper(temperature))
    if top_k:
        warpers.append(TopKLogitsWarper(top_k))
    if top_p < 1.0:
        warpers.append(TopPLogitsWarper(top_p))

    def pick(logits: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
        cdf = torch.softmax(warpers(None, logits), dim=-1).cumsum(-1)
        target = (uniforms * cdf[:, -1]).unsqueeze(-1).to(cdf.dtype)
        # right=True: tokens the warpers removed have an empty interval and are never picked
        picked = torch.searchsorted(cdf, target, right=True).squeeze(-1)
        return picked.clamp_(max=logits.shape[-1] - 1)

    return pick


@torch.inference_mode()
def complete(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    max_new_tokens: int = 16,
    num_samples: int = 1,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    top_k: int | None = None,
    stop: Sequence[str] = (),
    batch_size: int = 64,
    seed: int = 0,
    on_batch: Callable[[int], None] | None = None,
    done: Callable[[int, str], bool] | None = None,
) -> list[list[Completion]]:
    """Continue each prompt; return, per prompt in input order, `num_samples` completions.

    batch_size counts sequences (prompts x samples) per batch. Prompts are sorted by token length
    (longest first, so an out-of-memory error shows up on the first batch); each completion is cut
    at its first stop string. Results are reproducible for the same prompts and settings (`seed`).
    `on_batch(n_prompts)` reports progress. `done(prompt_index, text)`, checked after every token,
    ends a row early (stop-on-hit).
    """
    if not prompts:
        return []
    encoded = [tokenizer(p)["input_ids"] for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: -len(encoded[i]))
    per_batch = max(1, batch_size // num_samples)
    decoder = RowDecoder(model, tokenizer, token_picker(do_sample, temperature, top_p, top_k))
    generator = torch.Generator().manual_seed(seed)
    results: list[list[Completion]] = [[] for _ in prompts]
    for start in range(0, len(order), per_batch):
        idx = order[start : start + per_batch]
        rows = len(idx) * num_samples
        # drawn for the batch's full shape whether or not rows stop early (see the module doc)
        uniforms = torch.rand((max_new_tokens, rows), generator=generator, dtype=torch.float64)
        check = None
        if done is not None:
            check = lambda row, text, idx=idx: done(idx[row // num_samples], text)  # noqa: E731
        outs = decoder.run([encoded[i] for i in idx], num_samples, uniforms, stop, check)
        for row, (text, finish) in enumerate(outs):
            results[idx[row // num_samples]].append(Completion(cut_at_stop(text, stop), finish))
        if on_batch is not None:
            on_batch(len(idx))
    return results


class RowDecoder:
    """Decodes one batch of prompts, `n` rows each; rows leave the batch when they finish."""

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, pick: Picker):
        self.model = model
        self.tokenizer = tokenizer
        self.pick = pick
        self.device = next(model.parameters()).device
        self.eos = tokenizer.eos_token_id
        self.pad = pad_id(tokenizer)
        # only the next token's logits, not the prompt's, where the model can skip the rest
        self.keep = {"logits_to_keep": 1} if accepts_logits_to_keep(model) else {}

    def forward(self, ids, mask, positions, cache) -> torch.Tensor:
        out = self.model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
            **self.keep,
        )
        return out.logits[:, -1, :].float()  # as `generate`: scores in float32

    def run(
        self,
        prompts: list[list[int]],
        n: int,
        uniforms: torch.Tensor,
        stop: Sequence[str],
        check: Callable[[int, str], bool] | None,
    ) -> list[tuple[str, str]]:
        """Per row (prompt-major, `n` per prompt): the generated text and why it finished."""
        ids, mask, positions = left_pad(prompts, self.pad)
        mask, positions = mask.to(self.device), positions.to(self.device)
        cache = DynamicCache(config=self.model.config)
        logits = self.forward(ids.to(self.device), mask, positions, cache)
        # one prompt computation for its n rows: repeat the logits and the cache rows
        logits = logits.repeat_interleave(n, dim=0)
        cache.batch_repeat_interleave(n)
        mask = mask.repeat_interleave(n, dim=0)
        nxt = positions[:, -1:].repeat_interleave(n, dim=0) + 1
        uniforms = uniforms.to(self.device)
        stop = [s for s in stop if s]
        active = list(range(len(prompts) * n))  # batch rows still decoding, in cache order
        tokens: list[list[int]] = [[] for _ in active]
        finish = ["length"] * len(active)
        for step in range(uniforms.shape[0]):
            picked = self.pick(logits, uniforms[step, active])
            alive = self.advance(active, picked.tolist(), tokens, finish, stop, check)
            if not alive or step + 1 == uniforms.shape[0]:
                break
            if len(alive) < len(active):  # finished rows leave the batch and the KV cache
                keep = torch.tensor(alive, device=self.device)
                cache.batch_select_indices(keep)
                picked, mask, nxt = picked[keep], mask[keep], nxt[keep]
                active = [active[i] for i in alive]
            mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=1)
            logits = self.forward(picked.unsqueeze(-1), mask, nxt, cache)
            nxt = nxt + 1
        texts = self.tokenizer.batch_decode(tokens, skip_special_tokens=True)
        return list(zip(texts, finish, strict=True))

    def advance(self, active, picked, tokens, finish, stop, check) -> list[int]:
        """Append each active row's token; return the positions (in `active`) still decoding."""
        growing = []
        for i, (row, token) in enumerate(zip(active, picked, strict=True)):
            tokens[row].append(token)  # EOS too: decoding skips it, as it does `generate`'s
            if token == self.eos:
                finish[row] = "stop"
            else:
                growing.append(i)
        if not stop and check is None:
            return growing
        # one batched decode per step: per-row decode calls cost more than a tiny model's step
        texts = self.tokenizer.batch_decode(
            [tokens[active[i]] for i in growing], skip_special_tokens=True
        )
        alive = []
        for i, text in zip(growing, texts, strict=True):
            if any(s in text for s in stop):
                finish[active[i]] = "stop"
            elif check is not None and check(active[i], text):
                finish[active[i]] = "hit"
            else:
                alive.append(i)
        return alive
