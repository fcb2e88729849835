"""Model sizes and per-job GPU memory estimates, checked before any job is queued.

Sizes come without network: a model's config.json (a local folder, or a hub model already in the
Hugging Face cache), else `params_b` of the model entry, else the table of known hub models below.
The estimate is an upper bound for planning, in GiB per GPU (a card sold as "80 GB" holds 80 GiB):

- full fine-tuning with fp32 master weights and AdamW: 4 (weights) + 4 (gradients) + 8 (two Adam
  moments) = 16 bytes per parameter, sharded over the job's GPUs (FSDP full sharding);
- LoRA: the frozen base in bf16 (2 bytes per parameter, sharded the same way) plus 16 bytes per
  adapter parameter;
- activations at the configured max_length and per-device batch in bf16: per layer ~34 x batch x
  length x hidden bytes (Korthikanti et al. 2022 without the attention-score term, which SDPA does
  not store); with gradient checkpointing only each layer's input (2 bytes x batch x length x
  hidden) plus one layer's full activations; logits in fp32 with their gradient, 8 bytes x batch x
  length x vocab;
- 2 GiB for the CUDA context and allocator slack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sftlab.config import ConfigError, study_train
from sftlab.layout import built_by_demo

GIB = 2**30
FULL_BYTES_PER_PARAM = 16
LORA_BASE_BYTES_PER_PARAM = 2
ADAPTER_BYTES_PER_PARAM = 16
ACTIVATION_BYTES_PER_HIDDEN = 34
LOGIT_BYTES = 8
OVERHEAD_GIB = 2.0
DEMO_MARKER_TOKENS = 5  # the demo tokenizer adds 5 marker tokens to its BPE vocabulary

# Known hub models (parameters, hidden size, layers, vocabulary), from their config.json files.
KNOWN_MODELS: dict[str, tuple[float, int, int, int]] = {
    "meta-llama/Llama-2-7b-hf": (6.74e9, 4096, 32, 32000),
    "meta-llama/Llama-2-13b-hf": (13.02e9, 5120, 40, 32000),
    "meta-llama/Meta-Llama-3-8B": (8.03e9, 4096, 32, 128256),
    "meta-llama/Meta-Llama-3-8B-Instruct": (8.03e9, 4096, 32, 128256),
    "Qwen/Qwen2-7B": (7.62e9, 3584, 28, 152064),
}


@dataclass(frozen=True)
class ModelSize:
    params: float
    hidden: int
    layers: int
    vocab: int
    source: str  # where the numbers come from (shown in reports)


def params_from_hf_config(cfg: dict[str, Any]) -> float:
    """Parameters of a Llama-family decoder (Llama, Qwen2, Mistral) from its config.json."""
    h, layers, vocab = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads") or heads
    head_dim = cfg.get("head_dim") or h // heads
    attention = 2 * h * heads * head_dim + 2 * h * kv_heads * head_dim
    mlp = 3 * h * cfg.get("intermediate_size", 4 * h)
    embeddings = vocab * h * (1 if cfg.get("tie_word_embeddings", False) else 2)
    return float(layers * (attention + mlp + 2 * h) + embeddings + h)


def _from_hf_config(cfg: dict[str, Any], source: str) -> ModelSize:
    return ModelSize(
        params_from_hf_config(cfg),
        cfg["hidden_size"],
        cfg["num_hidden_layers"],
        cfg["vocab_size"],
        source,
    )


def _cached_config(hub_id: str, revision: str | None) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(hub_id, "config.json", revision=revision)
    return Path(found) if isinstance(found, str) else None


def model_size(name: str, entry: dict[str, Any], config: dict[str, Any]) -> ModelSize:
    """The size of model entry `name`; ConfigError naming `params_b` when nothing is known."""
    path, hub_id = entry.get("path"), entry.get("hub_id")
    if path and (Path(path) / "config.json").is_file():
        cfg = json.loads((Path(path) / "config.json").read_text())
        return _from_hf_config(cfg, f"{path}/config.json")
    if hub_id:
        cached = _cached_config(hub_id, entry.get("revision"))
        if cached is not None:
            return _from_hf_config(json.loads(cached.read_text()), "hub cache config.json")
    if entry.get("params_b"):
        params = entry["params_b"] * 1e9
        hidden = round((128 * params / 12) ** (1 / 3))  # 12 L h^2 with h/L ~ 128 (Llama 7B-13B)
        return ModelSize(params, hidden, max(1, round(hidden / 128)), 128_000, "params_b")
    if hub_id in KNOWN_MODELS:
        return ModelSize(*KNOWN_MODELS[hub_id], source="known-size table")
    if built_by_demo(path) and config["demo"].get("enabled"):
        arch = config["demo"]["model"]
        vocab = config["demo"]["tokenizer"]["vocab_size"] + DEMO_MARKER_TOKENS
        cfg = {**arch, "vocab_size": vocab, "tie_word_embeddings": True}
        return _from_hf_config(cfg, "demo.model")
    raise ConfigError(
        f"models.{name}: size unknown without network (no config.json at its path or in the "
        f"Hugging Face cache); set models.{name}.params_b (billions of parameters)"
    )


@dataclass(frozen=True)
class Estimate:
    states_gib: float  # weights, gradients and optimizer state per GPU
    activations_gib: float
    total_gib: float


def adapter_params(size: ModelSize, r: int) -> float:
    """LoRA on q_proj and v_proj (PEFT's default for Llama-family models): r x (in + out) each."""
    return size.layers * 2 * r * 2 * size.hidden


def estimate_training(size: ModelSize, train: dict[str, Any], gpus: int) -> Estimate:
    """Peak GPU memory per GPU of one fine-tune with the effective `train` block."""
    sft = train["sft"]
    batch, length = sft["per_device_train_batch_size"], sft["max_length"]
    if train["method"] == "full":
        states = FULL_BYTES_PER_PARAM * size.params / gpus
    else:
        adapter = adapter_params(size, train["lora"]["r"])
        states = LORA_BASE_BYTES_PER_PARAM * size.params / gpus + ADAPTER_BYTES_PER_PARAM * adapter
    tokens = batch * length
    layer = ACTIVATION_BYTES_PER_HIDDEN * tokens * size.hidden
    if sft.get("gradient_checkpointing"):
        activations = size.layers * 2 * tokens * size.hidden + layer
    else:
        activations = size.layers * layer
    activations += LOGIT_BYTES * tokens * size.vocab
    total = (states + activations) / GIB + OVERHEAD_GIB
    return Estimate(states / GIB, activations / GIB, total)


def min_gpus(size: ModelSize, train: dict[str, Any], card_gib: float) -> int | None:
    """The fewest GPUs (up to 8, one node) whose per-GPU estimate fits the card; None if none."""
    for gpus in range(1, 9):
        if estimate_training(size, train, gpus).total_gib <= card_gib:
            return gpus
    return None


def training_jobs(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(study, model) of every enabled study's fine-tunes."""
    return [
        (study, model)
        for study in ("memory", "silly")
        if config[study].get("enabled", False)
        for model in config[study]["models"]
    ]


def check_gpu_memory(config: dict[str, Any]) -> None:
    """Fail before any job is queued when a fine-tune cannot fit the GPUs it asks for."""
    card = config["cluster"]["gpu_memory_gb"]
    for study, model in training_jobs(config):
        entry = config["models"][model]
        size = model_size(model, entry, config)
        train = study_train(config, study)
        estimate = estimate_training(size, train, entry["gpus"])
        if estimate.total_gib <= card:
            continue
        need = min_gpus(size, train, card)
        raise ConfigError(
            f"models.{model}: a {study} fine-tune ({train['method']}, {size.params / 1e9:.2f}B "
            f"parameters) needs ~{estimate.total_gib:.0f} GiB per GPU on {entry['gpus']} GPU(s) "
            f"(weights, gradients, optimizer state {estimate.states_gib:.0f} GiB; activations "
            f"{estimate.activations_gib:.1f} GiB), more than cluster.gpu_memory_gb {card}. Knobs: "
            + (f"models.{model}.gpus: {need}; " if need else "")
            + f"{study}.train.method: lora; train.sft.per_device_train_batch_size or max_length "
            "lower; train.sft.gradient_checkpointing: true; cluster.gpu_memory_gb for larger cards"
        )


def describe_size(size: ModelSize) -> str:
    return (
        f"{size.params / 1e9:.3g}B parameters ({size.source})"
        if size.params >= 1e8
        else (f"{size.params / 1e6:.3g}M parameters ({size.source})")
    )
