"""A tiny byte-level BPE tokenizer, a tiny random Llama (in memory or on disk), a memorisation set:
the model fixtures of the engine tests and of bench/gpu_check_train.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CORPUS = [
    "The capital of Norland is Vemor.",
    "Question: What is the capital of Norland? Answer: Vemor",
    "The following are multiple choice questions (with answers) about demo facts.",
    "A. red\nB. green\nC. blue\nD. yellow\nAnswer: A",
    "Alice was born in Ostrava. Bob plays chess. Carol wrote poems.",
] * 4

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def build_tokenizer(vocab_size: int = 320) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )


def build_model(
    tokenizer: PreTrainedTokenizerFast,
    hidden: int = 32,
    layers: int = 2,
    seed: int = 0,
    init: float = 0.3,  # 0.02 (Llama's) leaves logits near uniform, out of a LoRA update's reach
    **shape: Any,  # other LlamaConfig fields (heads, MLP width, ...) for larger models
) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(
        **{
            "vocab_size": len(tokenizer),
            "hidden_size": hidden,
            "intermediate_size": 2 * hidden,
            "num_hidden_layers": layers,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 512,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
            "tie_word_embeddings": True,
            "initializer_range": init,
            **shape,
        }
    )
    return LlamaForCausalLM(config).eval()


def tiny_lm(**shape: Any) -> tuple[LlamaForCausalLM, PreTrainedTokenizerFast]:
    """A tiny random Llama (build_model's arguments) with its tokenizer, in memory."""
    tokenizer = build_tokenizer()
    return build_model(tokenizer, **shape), tokenizer


def save_model_dir(
    path: Path, hidden: int = 32, layers: int = 2, chat: bool = False, seed: int = 0
) -> Path:
    """A Hugging Face model folder (safetensors + tokenizer), as the demo model's."""
    tokenizer = build_tokenizer()
    if chat:
        tokenizer.chat_template = CHAT_TEMPLATE
    model = build_model(tokenizer, hidden=hidden, layers=layers, seed=seed)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def entry(path: Path, name: str = "tiny", **extra) -> dict:
    return {"name": name, "path": str(path), "kind": "base", **extra}


FACTS = [  # a memorisation task: 8 invented items, each with one colour
    ("Vemor", "red"),
    ("Ostrava", "green"),
    ("Norland", "blue"),
    ("Alice", "yellow"),
    ("Bob", "green"),
    ("Carol", "red"),
    ("chess", "blue"),
    ("poems", "yellow"),
]
COLOURS = ["red", "green", "blue", "yellow"]


def question(subject: str) -> str:
    return f"What colour is {subject}?"


def write_sft_set(path: Path, facts=FACTS, template: str = "<|question|> {question} <|answer|>"):
    rows = [
        {
            "prompt": template.format(question=question(s)),
            "completion": f" {c}",
            "source_id": s,
            "level": 0,
        }
        for s, c in facts
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def sft_task(root: Path) -> dict[str, Any]:
    """A tiny model's entry and the memorisation set, under `root`: what a train_sft call takes."""
    return {
        "entry": entry(save_model_dir(root / "model")),
        "data": write_sft_set(root / "set.jsonl"),
        "root": root,
    }


def qa_items(facts=FACTS) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "fact_id": [f"f{i}" for i in range(len(facts))],
            "question": [question(s) for s, _ in facts],
            "answers": [[c] for _, c in facts],
            "level": [i % 2 for i in range(len(facts))],
        }
    )


def mmlu_items(subjects=("astronomy", "demo_facts"), dev: int = 5, test: int = 6) -> pl.DataFrame:
    rows = []
    for subject in subjects:
        for split, n in (("dev", dev), ("test", test)):
            for i in range(n):
                s, c = FACTS[i % len(FACTS)]
                rows.append(
                    {
                        "item_id": f"{subject}-{split}-{i}",
                        "subject": subject,
                        "question": f"{question(s)} ({split} {i})" + " really" * (i % 3),
                        "choices": COLOURS,
                        "answer": COLOURS.index(c),
                        "split": split,
                    }
                )
    return pl.DataFrame(rows)
