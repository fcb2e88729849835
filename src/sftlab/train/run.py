"""Supervised fine-tuning with TRL's SFTTrainer: LoRA (PEFT) or full fine-tuning.

Settings are a plain dict whose keys are the TRL/PEFT field names, as in config/config.yaml:
    {"method": "lora" | "full", "sft": {SFTConfig fields}, "lora": {LoraConfig fields}}
`build_configs` turns them into typed `trl.SFTConfig` and `peft.LoraConfig` in one place.
Data is a TRL prompt-completion JSONL (plain strings, or message lists for chat models); the loss is
on the completion only. Checkpoints go to a folder outside the rule's outputs, so a re-run after a
kill resumes from the last one; they are deleted once the final weights are saved.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import torch
from datasets import Dataset
from transformers import TrainerCallback

from sftlab.io import file_sha256, iter_jsonl, provenance, write_json, write_parquet, write_yaml
from sftlab.models import base_fingerprint, load_model, pick_device, resolve_entry, source

log = logging.getLogger(__name__)

METHODS = ("lora", "full")
# Defaults differing from TRL's: per-step loss, fp32 unless CUDA has bf16, no checkpointing of
# activations (the demo model is tiny), no hub, no external loggers.
SFT_DEFAULTS: dict[str, Any] = {
    "logging_steps": 1,
    "save_steps": 50,
    "save_total_limit": 1,
    "gradient_checkpointing": False,
    "bf16": "auto",
    "report_to": "none",
    "disable_tqdm": True,  # progress goes to the log through LogCallback instead
    "completion_only_loss": True,
}


class SFTDataError(ValueError):
    """An SFT set that cannot be trained on: empty, malformed, or lacking a chat template."""


class LogCallback(TrainerCallback):
    """Writes each Trainer log record (loss, learning rate, ...) to the Python log."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs:
            log.info("step %d/%d %s", state.global_step, state.max_steps, logs)


def build_configs(
    settings: dict[str, Any], output_dir: str | Path, seed: int, device: torch.device | None = None
):
    """(SFTConfig, LoraConfig or None) from the settings dict; raise on unknown method or field."""
    from peft import LoraConfig
    from trl import SFTConfig

    method = settings.get("method", "lora")
    if method not in METHODS:
        raise ValueError(f"train.method: expected one of {METHODS}, got {method!r}")
    device = device or pick_device()
    sft = {**SFT_DEFAULTS, **(settings.get("sft") or {})}
    if sft["bf16"] == "auto":
        sft["bf16"] = device.type == "cuda" and torch.cuda.is_bf16_supported()
    sft.update(output_dir=str(output_dir), seed=seed, data_seed=seed)
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


def load_sft_set(path: str | Path) -> Dataset:
    """The prompt and completion columns of a JSONL SFT set; errors name the file and line."""
    path = Path(path)
    rows = []
    try:
        numbered = list(iter_jsonl(path))
    except ValueError as err:
        raise SFTDataError(str(err)) from err
    for number, row in numbered:
        if not isinstance(row, dict):
            raise SFTDataError(f"{path}: line {number} is not a JSON object")
        for field in ("prompt", "completion"):
            value = row.get(field)
            if not (isinstance(value, str) and value) and not _is_messages(value):
                raise SFTDataError(
                    f"{path}: line {number}: field '{field}' must be a non-empty string or a "
                    f"list of chat messages, got {value!r}"
                )
        rows.append({"prompt": row["prompt"], "completion": row["completion"]})
    if not rows:
        raise SFTDataError(f"{path}: the SFT set is empty")
    kinds = {isinstance(r["prompt"], list) for r in rows}
    if len(kinds) > 1:
        raise SFTDataError(f"{path}: mixes plain-text and chat-message rows")
    return Dataset.from_list(rows)


def _is_messages(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in value)
    )


def is_chat_set(dataset: Dataset) -> bool:
    return isinstance(dataset[0]["prompt"], list)


def last_checkpoint(ckpt_dir: str | Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    ckpt_dir = Path(ckpt_dir)
    return get_last_checkpoint(str(ckpt_dir)) if ckpt_dir.is_dir() else None


def train_sft(
    entry: dict[str, Any],
    data_path: str | Path,
    settings: dict[str, Any],
    adapter_dir: str | Path,
    train_dir: str | Path,
    ckpt_dir: str | Path,
    seed: int = 0,
    device: str | None = None,
    callbacks: list | None = None,
) -> dict[str, Any]:
    """Fine-tune `entry` on `data_path`; write weights to adapter_dir and records to train_dir.

    train_dir receives loss.parquet, metrics.json, config.yaml (resolved) and provenance.json.
    Returns the metrics.
    """
    from transformers import set_seed
    from trl import SFTTrainer

    entry = resolve_entry(entry)
    adapter_dir, train_dir, ckpt_dir = Path(adapter_dir), Path(train_dir), Path(ckpt_dir)
    set_seed(seed)
    dev = pick_device(device)
    dataset = load_sft_set(data_path)
    sft_config, lora_config = build_configs(settings, ckpt_dir, seed, dev)
    model, tokenizer = load_model(entry, device=dev)
    if is_chat_set(dataset) and not tokenizer.chat_template:
        raise SFTDataError(
            f"{data_path} is chat-formatted (message lists) but model '{entry['name']}' has no "
            "chat template; set models.<name>.chat_template or use a plain prompt-completion set"
        )
    resolved = {
        "method": settings.get("method", "lora"),
        "sft": sft_config.to_dict(),
        "lora": _lora_dict(lora_config),
        "seed": seed,
        "device": str(dev),
    }
    log.info("resolved training config: %s", json.dumps(resolved, default=str))
    trainer = SFTTrainer(
        model=model,
        args=sft_config,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora_config,
        callbacks=[LogCallback(), *(callbacks or [])],
    )
    resume = last_checkpoint(ckpt_dir)
    if resume:
        log.info("resuming from checkpoint %s", resume)
    try:
        result = trainer.train(resume_from_checkpoint=resume)
    except torch.OutOfMemoryError as err:
        raise RuntimeError(oom_advice(sft_config)) from err
    _save_weights(trainer, tokenizer, adapter_dir, lora_config is None)
    write_json(
        adapter_dir / "base_model.json",
        {
            "name": entry["name"],
            "source": source(entry),
            "revision": entry["revision"],
            "fingerprint": base_fingerprint(model.config),
        },
    )
    losses = loss_table(trainer.state.log_history)
    metrics = {
        **result.metrics,
        "resumed_from": resume,
        "train_examples": len(dataset),
        "train_tokens": _count_tokens(trainer),
        "final_loss": losses["loss"][-1] if len(losses) else None,
    }
    write_parquet(train_dir / "loss.parquet", losses)
    write_json(train_dir / "metrics.json", metrics)
    write_yaml(train_dir / "config.yaml", json.loads(json.dumps(resolved, default=str)))
    write_json(
        train_dir / "provenance.json",
        provenance(
            model={k: entry[k] for k in ("name", "path", "hub_id", "revision", "kind")},
            data={"path": str(data_path), "sha256": file_sha256(data_path)},
            seed=seed,
        ),
    )
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    return metrics


def _lora_dict(lora_config) -> dict[str, Any] | None:
    if lora_config is None:
        return None
    data = lora_config.to_dict()
    return {k: (sorted(v) if isinstance(v, set) else v) for k, v in data.items()}


def _save_weights(trainer, tokenizer, adapter_dir: Path, full: bool) -> None:
    """Safetensors into adapter_dir: the PEFT adapter, or the whole model and its tokenizer."""
    tmp = adapter_dir.with_name(adapter_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    trainer.model.save_pretrained(str(tmp), safe_serialization=True)
    if full:
        tokenizer.save_pretrained(str(tmp))
    shutil.rmtree(adapter_dir, ignore_errors=True)
    tmp.rename(adapter_dir)


def _count_tokens(trainer) -> int:
    return int(sum(len(ids) for ids in trainer.train_dataset["input_ids"]))


def loss_table(log_history: list[dict[str, Any]]) -> pl.DataFrame:
    """One row per logged training step: step, epoch, loss, learning_rate, grad_norm."""
    rows = [
        {
            "step": int(e["step"]),
            "epoch": float(e.get("epoch") or 0.0),
            "loss": float(e["loss"]),
            "learning_rate": float(e.get("learning_rate") or 0.0),
            "grad_norm": float(e["grad_norm"]) if e.get("grad_norm") is not None else None,
        }
        for e in log_history
        if "loss" in e and "step" in e
    ]
    schema = {
        "step": pl.Int64,
        "epoch": pl.Float64,
        "loss": pl.Float64,
        "learning_rate": pl.Float64,
        "grad_norm": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def oom_advice(sft_config) -> str:
    return (
        "CUDA ran out of memory while training. Lower train.sft.per_device_train_batch_size "
        f"(now {sft_config.per_device_train_batch_size}; raise gradient_accumulation_steps to keep "
        f"the effective batch), lower train.sft.max_length (now {sft_config.max_length}), or turn "
        f"on train.sft.gradient_checkpointing (now {sft_config.gradient_checkpointing})."
    )


def loss_figure(losses: pl.DataFrame, title: str = ""):
    """Training loss per step (a Figure; the caller saves it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
    ax.plot(losses["step"].to_list(), losses["loss"].to_list(), marker=".", linewidth=1)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training loss (nats/token)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig
