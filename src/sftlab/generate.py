"""Batched text generation: length-sorted batches, left padding, early stop, stop strings.

Used by short-answer evaluation (greedy), memory probing (several samples per prompt) and the demo
world's validity check.
All `num_samples` continuations of a prompt are generated in the same batch (the prompt is
repeated); rows finish independently at EOS or at a stop string, and a batch ends when every row
has finished.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase, StoppingCriteria
from transformers import set_seed as hf_set_seed

log = logging.getLogger(__name__)


class RowStop(StoppingCriteria):
    """Marks a row done once its generated text (after the prompt) contains a stop string, or once
    `done(row, text)` says so (stop-on-hit); remembers why each row stopped.

    Returns one flag per row, so transformers pads finished rows and stops when all are done.
    """

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        stop: Sequence[str],
        prompt_len: int,
        done: Callable[[int, str], bool] | None = None,
    ):
        self.tokenizer = tokenizer
        self.stop = [s for s in stop if s]
        self.prompt_len = prompt_len
        self.check = done
        self.done: torch.Tensor | None = None
        self.reason: dict[int, str] = {}

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        if self.done is None:
            self.done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        if not self.stop and self.check is None:
            return self.done
        rows = torch.nonzero(~self.done).flatten().tolist()
        # one batched decode per step: per-row decode calls cost more than the tiny model's step
        texts = self.tokenizer.batch_decode(
            input_ids[rows, self.prompt_len :], skip_special_tokens=True
        )
        for row, text in zip(rows, texts, strict=True):
            if any(s in text for s in self.stop):
                self.reason[row] = "stop"
            elif self.check is not None and self.check(row, text):
                self.reason[row] = "hit"
            else:
                continue
            self.done[row] = True
        return self.done.clone()


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

    batch_size counts sequences (prompts x samples) per forward pass. Prompts are sorted by token
    length (longest first, so an out-of-memory error shows up on the first batch), left-padded, and
    each completion is cut at its first stop string. Sampling is seeded once with `seed`; results
    are reproducible for the same prompts and settings. `on_batch(n_prompts)` reports progress.
    `done(prompt_index, text)`, checked after every token, ends a row early (stop-on-hit); a row
    that ends keeps drawing tokens in lockstep (padded), so the random stream of the other rows,
    and hence their samples, do not depend on it.
    """
    if not prompts:
        return []
    hf_set_seed(seed)
    device = next(model.parameters()).device
    encoded = [tokenizer(p)["input_ids"] for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: -len(encoded[i]))
    per_batch = max(1, batch_size // num_samples)
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = tokenizer.eos_token_id
    sampling = {"do_sample": do_sample}
    if do_sample:
        sampling.update(temperature=temperature, top_p=top_p, top_k=top_k)
    else:
        sampling.update(temperature=None, top_p=None, top_k=None)
    results: list[list[Completion]] = [[] for _ in prompts]
    ends = {tokenizer.eos_token_id, pad_id}
    for start in range(0, len(order), per_batch):
        idx = order[start : start + per_batch]
        rows = [encoded[i] for i in idx for _ in range(num_samples)]
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for r, ids in enumerate(rows):
            input_ids[r, width - len(ids) :] = torch.tensor(ids)
            attention[r, width - len(ids) :] = 1
        row_done = None
        if done is not None:
            row_done = functools.partial(_row_done, done, idx, num_samples)
        criterion = RowStop(tokenizer, stop, width, row_done)
        out = model.generate(
            input_ids=input_ids.to(device),
            attention_mask=attention.to(device),
            max_new_tokens=max_new_tokens,
            stopping_criteria=[criterion],
            pad_token_id=pad_id,
            eos_token_id=tokenizer.eos_token_id,
            **sampling,
        )
        new = out[:, width:]
        texts = tokenizer.batch_decode(new, skip_special_tokens=True)
        for r, text in enumerate(texts):
            finish = criterion.reason.get(r)
            if finish is None:
                ended = any(t in ends for t in new[r].tolist())
                finish = "stop" if ended else "length"
            results[idx[r // num_samples]].append(Completion(cut_at_stop(text, stop), finish))
        if on_batch is not None:
            on_batch(len(idx))
    return results


def _row_done(
    done: Callable[[int, str], bool], idx: list[int], num_samples: int, row: int, text: str
) -> bool:
    return done(idx[row // num_samples], text)
