"""Fine-tune one model on one SFT set with TRL's SFTTrainer (LoRA or full), in one process or as one
rank of an `accelerate launch` FSDP job (sftlab.train.launch).

Data is a TRL prompt-completion JSONL; the loss is on the completion only. Checkpoints go to a
folder outside the rule's outputs, so a re-run after a kill resumes from the last complete one whose
fingerprint matches (sftlab.train.checkpoints); they are deleted once the final weights are saved.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import torch
from transformers import TrainerCallback

from sftlab.io import file_sha256, provenance, write_json, write_parquet, write_yaml
from sftlab.lm.load import base_fingerprint, load_model, pick_device, resolve_entry, source
from sftlab.train.checkpoints import (
    NoFinalCheckpoint,
    newest_complete,
    prepare_resume,
    run_fingerprint,
)
from sftlab.train.data import SFTDataError, is_chat_set, load_sft_set
from sftlab.train.settings import (
    build_configs,
    lora_dict,
    oom_advice,
    resolve_precision,
    weight_dtype,
)

log = logging.getLogger(__name__)


class LogCallback(TrainerCallback):
    """Writes each Trainer log record (loss, learning rate, ...) to the Python log."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs:
            log.info("step %d/%d %s", state.global_step, state.max_steps, logs)


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
    Under a distributed launch (WORLD_SIZE > 1) every rank calls this; rank 0 writes the files.
    Returns the metrics.
    """
    from accelerate import PartialState
    from transformers import set_seed
    from trl import SFTTrainer

    entry = resolve_entry(entry)
    adapter_dir, train_dir, ckpt_dir = Path(adapter_dir), Path(train_dir), Path(ckpt_dir)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    fsdp = os.environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true"
    set_seed(seed)
    dev = pick_device(device)
    dataset = load_sft_set(data_path)
    method = settings.get("method", "lora")
    precision = resolve_precision(settings.get("precision", "auto"), dev)
    sft_config, lora_config = build_configs(settings, ckpt_dir, seed, dev, fsdp=fsdp)
    main = PartialState().is_main_process
    # Several ranks load on the CPU and FSDP shards onto each rank's GPU; one process loads in place
    load_device = dev if world == 1 and not fsdp else torch.device("cpu")
    dtype = weight_dtype(precision, method, entry["dtype"], dev)
    model, tokenizer = load_model(entry, device=load_device, dtype=dtype)
    if is_chat_set(dataset) and not tokenizer.chat_template:
        raise SFTDataError(
            f"{data_path} is chat-formatted (message lists) but model '{entry['name']}' has no "
            "chat template; set models.<name>.chat_template or use a plain prompt-completion set"
        )
    base = {
        "source": source(entry),
        "revision": entry["revision"],
        **base_fingerprint(model.config),
    }
    resolved = {
        "method": method,
        "precision": precision,
        "weights_dtype": str(dtype).removeprefix("torch."),
        "world_size": world,
        "fsdp": fsdp,
        "sft": sft_config.to_dict(),
        "lora": lora_dict(lora_config),
        "seed": seed,
        "device": str(dev),
    }
    log.info("resolved training config: %s", json.dumps(resolved, default=str))
    fingerprint = run_fingerprint(
        file_sha256(data_path),
        resolved["sft"],
        method,
        resolved["lora"],
        {**base, "weights": local_weights_stamp(entry)},
        world,
    )
    resume = prepare_resume(ckpt_dir, fingerprint) if main else None
    PartialState().wait_for_everyone()  # other ranks look only after rank 0 has cleaned up
    resume = resume if main else newest_complete(ckpt_dir)
    trainer = SFTTrainer(
        model=model,
        args=sft_config,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora_config,
        callbacks=[LogCallback(), NoFinalCheckpoint(), *(callbacks or [])],
    )
    if resume:
        log.info("resuming from checkpoint %s", resume)
    try:
        result = trainer.train(resume_from_checkpoint=resume)
    except torch.OutOfMemoryError as err:
        raise RuntimeError(oom_advice(sft_config, world)) from err
    _save_weights(trainer, tokenizer, adapter_dir, full=lora_config is None, main=main)
    losses = loss_table(trainer.state.log_history)
    metrics = {
        **result.metrics,
        "resumed_from": resume,
        "train_examples": len(dataset),
        "train_tokens": _count_tokens(trainer),
        "final_loss": losses["loss"][-1] if len(losses) else None,
    }
    if main:
        _write_records(
            entry, base, data_path, seed, resolved, losses, metrics, adapter_dir, train_dir
        )
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    return metrics


def local_weights_stamp(entry: dict[str, Any]) -> dict[str, list[int]] | None:
    """Size and mtime of a local model's weight files: a rebuilt folder (the demo model) at the same
    path is another base. Hub models are identified by id and revision instead."""
    if not entry["path"]:
        return None
    files = sorted(Path(entry["path"]).glob("*.safetensors"))
    return {f.name: [f.stat().st_size, f.stat().st_mtime_ns] for f in files}


def _write_records(entry, base, data_path, seed, resolved, losses, metrics, adapter_dir, train_dir):
    write_json(
        adapter_dir / "base_model.json",
        {
            "name": entry["name"],
            "source": source(entry),
            "revision": entry["revision"],
            "fingerprint": {k: base[k] for k in base if k not in ("source", "revision")},
        },
    )
    write_parquet(train_dir / "loss.parquet", losses)
    write_json(train_dir / "metrics.json", metrics)
    write_yaml(train_dir / "config.yaml", json.loads(json.dumps(resolved, default=str)))
    write_json(
        train_dir / "provenance.json",
        provenance(
            model={k: entry[k] for k in ("name", "path", "hub_id", "revision", "kind", "gpus")},
            data={"path": str(data_path), "sha256": file_sha256(data_path)},
            seed=seed,
        ),
    )


def _save_weights(trainer, tokenizer, adapter_dir: Path, full: bool, main: bool) -> None:
    """Safetensors into adapter_dir: the PEFT adapter, or the whole model and its tokenizer.

    trainer.save_model gathers FSDP shards into one state dict (every rank takes part); the folder
    appears under its final name only when complete, so a kill never leaves a half-written result.
    """
    tmp = adapter_dir.with_name(adapter_dir.name + ".tmp")
    if main:
        shutil.rmtree(tmp, ignore_errors=True)
    if full:
        trainer.save_model(str(tmp))
    elif main:
        trainer.model.save_pretrained(str(tmp), safe_serialization=True)
    if main:
        if full:
            tokenizer.save_pretrained(str(tmp))
            (tmp / "training_args.bin").unlink(missing_ok=True)
        shutil.rmtree(adapter_dir, ignore_errors=True)
        tmp.rename(adapter_dir)
    trainer.accelerator.wait_for_everyone()


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
