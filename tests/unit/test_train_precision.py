"""Precision of full fine-tuning: fp32 master weights by default, pure bf16 only when asked.

One optimizer step at the paper's learning rate (1e-5) on a model initialised like Llama
(N(0, 0.02)): AdamW's first update is ~lr per weight, far below half a bf16 step of a weight of size
0.02 (2^-9 x 0.02 ~ 4e-5), so pure bf16 rounds most updates away.
"""

import pytest
import torch
from safetensors.torch import load_file

from sftlab.testing.tiny_models import build_model, build_tokenizer, entry, write_sft_set
from sftlab.train import build_configs, train_sft
from sftlab.train.settings import resolve_precision, weight_dtype


def one_step(tmp_path, precision):
    root = tmp_path / precision
    tokenizer = build_tokenizer()
    build_model(tokenizer, hidden=64, init=0.02).save_pretrained(root / "model")
    tokenizer.save_pretrained(root / "model")
    settings = {
        "method": "full",
        "precision": precision,
        "sft": {"learning_rate": 1e-5, "max_steps": 1, "per_device_train_batch_size": 8},
    }
    data = write_sft_set(root / "set.jsonl")
    train_sft(entry(root / "model"), data, settings, root / "out", root / "train", root / "ckpt")
    before = load_file(root / "model" / "model.safetensors")
    after = load_file(root / "out" / "model.safetensors")
    layers = [k for k in before if ".layers." in k and k.endswith("proj.weight")]
    changed = sum(
        int((after[k].float() != before[k].to(after[k].dtype).float()).sum()) for k in layers
    )
    total = sum(before[k].numel() for k in layers)
    return changed / total, {after[k].dtype for k in layers}


def test_mixed_precision_keeps_fp32_master_weights_and_every_update_lands(tmp_path):
    fraction, dtypes = one_step(tmp_path, "mixed")  # bf16 autocast on the CPU, fp32 weights
    assert dtypes == {torch.float32}
    assert fraction >= 0.99


def test_pure_bf16_rounds_most_updates_at_lr_1e5_away(tmp_path):
    fraction, dtypes = one_step(tmp_path, "bf16")
    assert dtypes == {torch.bfloat16}
    # Measured 0.155 on this model (the issue measured ~16 % on N(0, 0.02)): only weights small
    # enough that lr exceeds half their bf16 step move.
    assert fraction < 0.3


def test_auto_precision_is_fp32_on_the_cpu_and_mixed_only_where_cuda_has_bf16(tmp_path):
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu) == "fp32"
    assert resolve_precision("mixed", cpu) == "mixed"
    assert weight_dtype("mixed", "full", "auto", cpu) == torch.float32
    assert weight_dtype("bf16", "full", "auto", cpu) == torch.bfloat16
    sft, _ = build_configs({"method": "full", "precision": "mixed"}, tmp_path, seed=0, device=cpu)
    assert sft.bf16 is True
    with pytest.raises(ValueError, match="train.precision"):
        resolve_precision("fp16", cpu)
