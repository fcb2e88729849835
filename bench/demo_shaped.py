"""What the model benchmarks run on when no demo model has been built: a randomly initialised Llama
of the demo's shape, made by the demo's own code (sftlab.demo's tokenizer trainer and model config,
so a bench measures the tokenizer and architecture the workflow uses), and invented colour facts.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

from sftlab.demo.pretrain import PretrainSettings, model_config
from sftlab.demo.tokenizer import train_tokenizer

COLOURS = ["red", "green", "blue", "yellow"]
SUBJECTS = ["Vemor", "Ostrava", "Norland", "Alice", "Bob", "Carol", "chess", "poems"]
FACTS = [(subject, COLOURS[i % len(COLOURS)]) for i, subject in enumerate(SUBJECTS)]
SFT_TEMPLATE = "<|question|> {question} <|answer|>"  # the memory study's SFT format
# 0.02 (Llama's) leaves logits near uniform; wider weights keep batched and one-by-one predictions
# clear of near-ties when a bench compares them.
INIT_RANGE = 0.3


def question(subject: str) -> str:
    return f"What colour is {subject}?"


def demo_tokenizer() -> PreTrainedTokenizerFast:
    """The demo's byte-level BPE (special tokens and markers included), on a few bench sentences."""
    corpus = [f"{question(s)} The colour of {s} is {c}." for s, c in FACTS]
    corpus += ["The following are multiple choice questions (with answers) about demo facts."]
    return train_tokenizer(corpus * 4, vocab_size=320)


def demo_model(tokenizer: PreTrainedTokenizerFast, seed: int = 0) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = model_config(PretrainSettings(seed=seed), tokenizer)
    config.initializer_range = INIT_RANGE
    return LlamaForCausalLM(config).eval()


def save_demo_model(path: Path) -> Path:
    """A Hugging Face model folder (safetensors + tokenizer), as pretrain_demo_model writes."""
    tokenizer = demo_tokenizer()
    demo_model(tokenizer).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def write_sft_set(path: Path, facts: list[tuple[str, str]]) -> Path:
    """An SFT set (JSONL, TRL prompt-completion) teaching each subject's colour."""
    rows = [
        {"prompt": SFT_TEMPLATE.format(question=question(s)), "completion": f" {c}"}
        for s, c in facts
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
