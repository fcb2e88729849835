"""Pretrain a tiny Llama on the demo corpus on the CPU: plain torch loop, AdamW, warmup + cosine.

Documents (<s> text </s>) are shuffled and packed into fixed-length rows every epoch. The run always
takes exactly `max_steps` steps: what the model learns, and so every figure of the demo, depends on
the inputs and the seed only, never on how loaded the machine is. (An earlier wall-clock bound cut
the schedule on a busy machine: 162 of 320 steps, and the memory score's Spearman against exposure
fell from 0.92 to 0.32.) `max_minutes` is a warning threshold: when the first `calibration_steps`
project a longer run, the log says so, with the projected time, and training continues.

After training, the SFT answer marker's embedding is moved part of the way toward the corpus's
answer cue (`prime_answer_marker`), so the base model reads it as a real model reads the paper's
plain-text "<|answer|>": partly.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from sftlab.demo.tokenizer import ANSWER_MARKER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PretrainSettings:
    """Model shape and optimisation (config `demo.model` and `demo.pretrain`)."""

    seed: int = 0
    hidden_size: int = 192  # SPEC calibration: width 192, 4 layers ~ 2M parameters
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 4  # head dim 48
    tie_word_embeddings: bool = True  # saves vocab x width (~0.2M) parameters
    seq_len: int = 128  # ~8 corpus sentences per row
    batch_size: int = 32  # 4,096 tokens per step
    learning_rate: float = 3e-3  # tiny models take large steps
    min_lr_ratio: float = 0.1  # cosine decays to 10 % of the peak
    warmup_steps: int = 30
    weight_decay: float = 0.0  # memorisation is the point
    max_steps: int = 480  # 2.0M tokens, ~10 epochs of the default corpus
    max_minutes: float = 8.0  # warn (never stop) when the projected run is longer
    calibration_steps: int = 20
    answer_cue: str = ":"  # the corpus's answers follow it ("Q: ... A: Obj.")
    answer_prior: float = 0.55  # share of the way from <|answer|>'s own row to the cue's


def model_config(settings: PretrainSettings, tokenizer: PreTrainedTokenizerFast) -> LlamaConfig:
    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=settings.hidden_size,
        intermediate_size=settings.intermediate_size,
        num_hidden_layers=settings.num_hidden_layers,
        num_attention_heads=settings.num_attention_heads,
        num_key_value_heads=settings.num_attention_heads,
        max_position_embeddings=max(512, settings.seq_len),
        tie_word_embeddings=settings.tie_word_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def encode_documents(lines: list[str], tokenizer: PreTrainedTokenizerFast) -> list[np.ndarray]:
    """Each line as <s> tokens </s> (the tokenizer adds <s>)."""
    eos = tokenizer.eos_token_id
    encoded = tokenizer(lines, add_special_tokens=True)["input_ids"]
    return [np.asarray([*ids, eos], dtype=np.int64) for ids in encoded]


def packed_batches(
    docs: list[np.ndarray], seq_len: int, batch_size: int, seed: int
) -> Iterator[tuple[int, torch.Tensor]]:
    """Endless (epoch, batch) pairs: documents reshuffled per epoch, concatenated, cut in rows."""
    rng = np.random.default_rng(seed)
    epoch = 0
    while True:
        order = rng.permutation(len(docs))
        stream = np.concatenate([docs[i] for i in order])
        rows = len(stream) // seq_len
        table = torch.from_numpy(stream[: rows * seq_len].reshape(rows, seq_len))
        for start in range(0, rows - batch_size + 1, batch_size):
            yield epoch, table[start : start + batch_size]
        epoch += 1


def learning_rate(step: int, total: int, settings: PretrainSettings) -> float:
    if step < settings.warmup_steps:
        return settings.learning_rate * (step + 1) / settings.warmup_steps
    progress = min(1.0, (step - settings.warmup_steps) / max(1, total - settings.warmup_steps))
    floor = settings.min_lr_ratio
    return settings.learning_rate * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def prime_answer_marker(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast, cue: str, prior: float
) -> None:
    """Move the answer marker's embedding `prior` of the way toward the mean embedding of `cue`.

    The paper's "<|answer|>" is plain text, which a real base model reads as words it knows; the
    demo's is one token the corpus never shows, so its row is still noise after pretraining and
    fine-tuning must build its meaning from 60 examples (measured: a best in-domain arm of 0.22-0.34
    across demo seeds). Primed all the way (prior 1) the base model answers zero-shot as after "A:",
    and fine-tuning adds little; part of the way gives a base model that half reads the format. With
    tied embeddings the output row moves with it.
    """
    if not 0.0 <= prior <= 1.0:
        raise ValueError(f"demo.pretrain.answer_prior must be in [0, 1], got {prior}")
    ids = tokenizer(cue, add_special_tokens=False)["input_ids"]
    if not ids:
        raise ValueError(f"demo.pretrain.answer_cue {cue!r} encodes to no token")
    marker = tokenizer.convert_tokens_to_ids(ANSWER_MARKER)
    if marker is None or marker == tokenizer.unk_token_id:
        raise ValueError(f"the tokenizer has no {ANSWER_MARKER} token to prime")
    weight = model.get_input_embeddings().weight
    with torch.no_grad():
        weight[marker] = (1.0 - prior) * weight[marker] + prior * weight[ids].mean(dim=0)


def pretrain(
    lines: list[str],
    tokenizer: PreTrainedTokenizerFast,
    settings: PretrainSettings,
    out_dir: str | Path,
    log_every_s: float = 10.0,
) -> tuple[LlamaForCausalLM, dict[str, Any]]:
    """Train; save model + tokenizer to `out_dir` (safetensors); return the model and statistics."""
    torch.manual_seed(settings.seed)
    model = LlamaForCausalLM(model_config(settings, tokenizer))
    params = sum(p.numel() for p in model.parameters())
    docs = encode_documents(lines, tokenizer)
    corpus_tokens = int(sum(len(d) for d in docs))
    log.info(
        "model: %d parameters; corpus: %d documents, %d tokens", params, len(docs), corpus_tokens
    )
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=settings.learning_rate,
        weight_decay=settings.weight_decay,
        betas=(0.9, 0.95),
    )
    total = settings.max_steps
    batches = packed_batches(docs, settings.seq_len, settings.batch_size, settings.seed)
    model.train()
    start = time.perf_counter()
    cpu_start = time.process_time()
    last_log = start
    losses: list[float] = []
    projected_s = None
    step = 0
    epoch = 0
    while step < total:
        epoch, batch = next(batches)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, total, settings)
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        step += 1
        elapsed = time.perf_counter() - start
        if step == min(settings.calibration_steps, total):
            projected_s = elapsed / step * total
            if projected_s > settings.max_minutes * 60:
                log.warning(
                    "pretraining projects to %.1f min (%.2f s/step x %d steps), over "
                    "demo.pretrain.max_minutes = %.1f: a slow or busy machine. It still runs all "
                    "%d steps, so the demo's results stay those of its configuration.",
                    projected_s / 60,
                    elapsed / step,
                    total,
                    settings.max_minutes,
                    total,
                )
        if time.perf_counter() - last_log >= log_every_s or step == total:
            last_log = time.perf_counter()
            rate = step / elapsed
            recent = float(np.mean(losses[-20:]))
            log.info(
                "step %d/%d epoch %d loss %.3f lr %.2e, %.2f steps/s, %.0f tokens/s, "
                "elapsed %.0fs, ETA %.0fs",
                step,
                total,
                epoch,
                recent,
                learning_rate(step - 1, total, settings),
                rate,
                rate * batch.numel(),
                elapsed,
                (total - step) / rate,
            )
    wall_s = time.perf_counter() - start
    model.eval()
    prime_answer_marker(model, tokenizer, settings.answer_cue, settings.answer_prior)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    stats = {
        "parameters": params,
        "steps": step,
        "projected_s": round(projected_s, 1) if projected_s is not None else None,
        "over_max_minutes": wall_s > settings.max_minutes * 60,
        "epochs": round(step * settings.batch_size * settings.seq_len / corpus_tokens, 2),
        "corpus_documents": len(docs),
        "corpus_tokens": corpus_tokens,
        "trained_tokens": step * settings.batch_size * settings.seq_len,
        "train_wall_s": round(wall_s, 1),
        "train_cpu_s": round(time.process_time() - cpu_start, 1),
        "threads": torch.get_num_threads(),
        "final_loss": round(float(np.mean(losses[-20:])), 4) if losses else None,
        "settings": asdict(settings),
    }
    return model, stats
