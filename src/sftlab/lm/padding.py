"""Left padding, the layout of every batched forward pass here: each row ends at the same position,
so the next token's logits (generation) and the last positions' logits (scoring) line up."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def pad_id(tokenizer) -> int:
    """The id that fills padded positions: the tokenizer's pad, else its EOS, else 0. Padded
    positions are masked, so the choice never changes a score or a generated token."""
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if candidate is not None:
            return candidate
    return 0


def left_pad(
    seqs: Sequence[Sequence[int]], pad_id: int, offset: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(input ids, attention mask, position ids) of the rows, left-padded to the longest; a row's
    real tokens take positions offset, offset + 1, ... (offset: tokens already in a KV cache).
    """
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for r, s in enumerate(seqs):
        ids[r, width - len(s) :] = torch.tensor(s, dtype=torch.long)
        mask[r, width - len(s) :] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0) + offset
    return ids, mask, positions
