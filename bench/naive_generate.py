"""The peer bench_probe.py measures sftlab's decode loop against: the generation path sftlab used
before it (decode loop version 1), transformers `model.generate` with a per-row StoppingCriteria.

Each of a prompt's n samples is a separate row that recomputes the prompt, and a finished row
keeps decoding (padded) in lockstep until every row of its batch has finished, so stop-on-hit
saves only the batches whose rows all stop early.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import StoppingCriteria
from transformers import set_seed as hf_set_seed

from sftlab.lm.generate import Completion, cut_at_stop


class RowStop(StoppingCriteria):
    """Marks a row done once its generated text contains a stop string, or once `done(row, text)`
    says so; remembers why each row stopped.
    """

    def __init__(self, tokenizer, stop: Sequence[str], prompt_len: int, done=None):
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


@torch.inference_mode()
def naive_complete(
    model, tokenizer, prompts: Sequence[str], *, on_batch=None, done=None, **settings
) -> list[list[Completion]]:
    """sftlab.lm.generate.complete's contract, through `model.generate` (see the module doc);
    `settings` are complete's sampling keywords, all of which the hf backend passes.
    """
    max_new_tokens, num_samples, stop = (
        settings[k] for k in ("max_new_tokens", "num_samples", "stop")
    )
    do_sample, seed, batch_size = (settings[k] for k in ("do_sample", "seed", "batch_size"))
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
    sampling = {"do_sample": do_sample, "temperature": None, "top_p": None, "top_k": None}
    if do_sample:
        sampling.update({k: settings[k] for k in ("temperature", "top_p", "top_k")})
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
            row_done = lambda row, text, idx=idx: done(idx[row // num_samples], text)  # noqa: E731
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
                finish = "stop" if any(t in ends for t in new[r].tolist()) else "length"
            results[idx[r // num_samples]].append(Completion(cut_at_stop(text, stop), finish))
        if on_batch is not None:
            on_batch(len(idx))
    return results
