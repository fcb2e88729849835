"""Training settings: the `train:` dict of the config turned into typed TRL/PEFT configs.

Settings are a plain dict whose keys are the TRL/PEFT field names, as in config/config.yaml:
    {"method": "lora" | "full", "precision": "auto" | "mixed" | "bf16" | "fp32",
     "sft": {SFTConfig fields}, "lora": {LoraConfig fields}}

Precision (the dtype the trained weights are kept in, and the dtype of the arithmetic):
- mixed: fp32 master weights (and fp32 AdamW state), bf16 compute through autocast. Costs 16 bytes
  per trained parameter; every update lands, also lr 1e-5 on weights of size 0.02.
- bf16: weights, gradients and AdamW state in bf16 (8 bytes per parameter). An update smaller than
  half a bf16 step (2^-9 of the weight) rounds away: at lr 1e-5 one step changes only ~16 %
  of N(0, 0.02) weights that are small enough (tests/unit/test_train_precision.py measures it).
- fp32: fp32 weights and compute (the CPU default: bf16 autocast is slower than fp32 there).
- auto: mixed on a CUDA GPU with bf16, fp32 elsewhere.
For LoRA the frozen base weights keep the model entry's dtype; the adapter (what is trained) is fp32
under mixed and fp32, as PEFT creates it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sftlab.lm.load import pick_device, pick_dtype

METHODS = ("lora", "full")
PRECISIONS = ("auto", "mixed", "bf16", "fp32")
# Defaults differing from TRL's: per-step loss, no checkpointing of activations (the demo model is
# tiny), no hub, no external loggers.
SFT_DEFAULTS: dict[str, Any] = {
    "logging_steps": 1,
    "save_steps": 50,
    "save_total_limit": 1,
    "gradient_checkpointing": False,
    "report_to": "none",
    "disable_tqdm": True,  # progress goes to the log through LogCallback instead
    "completion_only_loss": True,
}


def resolve_precision(name: str, device: torch.device) -> str:
    """mixed | bf16 | fp32 for the `precision` key on `device`; raise on an impossible choice."""
    if name not in PRECISIONS:
        raise ValueError(f"train.precision: expected one of {PRECISIONS}, got {name!r}")
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    if name == "auto":
        return "mixed" if cuda_bf16 else "fp32"
    if name != "fp32" and device.type == "cuda" and not cuda_bf16:
        raise ValueError(f"train.precision: {name} needs bf16, which this GPU lacks; use fp32")
    return name


def weight_dtype(precision: str, method: str, entry_dtype: str, device: torch.device):
    """The dtype to load the model in: the trained weights' dtype for full fine-tuning."""
    if method == "lora":  # frozen base weights: no master copy needed
        return torch.float32 if precision == "fp32" else pick_dtype(entry_dtype, device)
    return torch.bfloat16 if precision == "bf16" else torch.float32


def build_configs(
    settings: dict[str, Any],
    output_dir: str | Path,
    seed: int,
    device: torch.device | None = None,
    fsdp: bool = False,
):
    """(SFTConfig, LoraConfig or None) from the settings dict; raise on unknown method or field.

    Under FSDP (`fsdp`), activation checkpointing is the launcher config's
    (fsdp_activation_checkpointing), so the Trainer's own is turned off.
    """
    from peft import LoraConfig
    from trl import SFTConfig

    method = settings.get("method", "lora")
    if method not in METHODS:
        raise ValueError(f"train.method: expected one of {METHODS}, got {method!r}")
    device = device or pick_device()
    precision = resolve_precision(settings.get("precision", "auto"), device)
    sft = {**SFT_DEFAULTS, **(settings.get("sft") or {})}
    sft.update(output_dir=str(output_dir), seed=seed, data_seed=seed)
    sft["bf16"] = precision in ("mixed", "bf16")
    if fsdp:
        sft["gradient_checkpointing"] = False
    if "activation_checkpointing" in SFTConfig.__dataclass_fields__ and (
        "gradient_checkpointing" in sft  # the familiar name, deprecated by transformers 5.x
    ):
        sft.setdefault("activation_checkpointing", sft.pop("gradient_checkpointing"))
    if device.type == "cpu":
        sft["use_cpu"] = True
    try:
        sft_config = SFTConfig(**sft)
    except TypeError as err:
        raise ValueError(f"train.sft: {err} (keys must be trl.SFTConfig field names)") from err
    if method == "full":
        return sft_config, None
    lora = {"task_type": "CAUSAL_LM", **(settings.get("lora") or {})}
    try:
        lora_config = LoraConfig(**lora)
    except TypeError as err:
        raise ValueError(f"train.lora: {err} (keys must be peft.LoraConfig field names)") from err
    return sft_config, lora_config


def lora_dict(lora_config) -> dict[str, Any] | None:
    if lora_config is None:
        return None
    data = lora_config.to_dict()
    return {k: (sorted(v) if isinstance(v, set) else v) for k, v in data.items()}


def oom_advice(sft_config, gpus: int = 1) -> str:
    return (
        f"CUDA ran out of memory while training on {gpus} GPU(s). Lower "
        "train.sft.per_device_train_batch_size "
        f"(now {sft_config.per_device_train_batch_size}; raise gradient_accumulation_steps to keep "
        f"the effective batch), lower train.sft.max_length (now {sft_config.max_length}), turn "
        f"on train.sft.gradient_checkpointing (now {sft_config.gradient_checkpointing}), or raise "
        "models.<name>.gpus (FSDP shards weights, gradients and optimizer state over the GPUs)."
    )
