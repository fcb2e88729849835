"""GPU check of the training path (one H100/H200, no network, < 8 minutes): prints a JSON summary.

1. precision: one full fine-tuning step at lr 1e-5 on a randomly initialised ~1B Llama
   (N(0, 0.02) weights), default precision (fp32 master + bf16 compute) and pure bf16: the share of
   layer weights that changed (expected >= 0.99 and ~0.16).
2. fsdp: the same model fine-tuned for a few steps through `accelerate launch` with
   config/launch/fsdp.yaml and one rank (the multi-GPU code path on one GPU): loss, peak memory.
3. demo: a short LoRA and full fine-tune on CUDA of the tests' memorisation set; tokens/s.
Without CUDA it prints {"skipped": ...} and exits 0.

    .venv/bin/python bench/gpu_check_train.py [--layers 22] [--steps 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from sftlab.testing.tiny_models import (
    FACTS,
    build_model,
    build_tokenizer,
    entry,
    save_model_dir,
    write_sft_set,
)
from sftlab.train import train_sft
from sftlab.train.launch import train_sft_launched

REPO = Path(__file__).resolve().parents[1]


def random_llama(path: Path, layers: int) -> int:
    """A ~1B Llama (width 2048, 16 heads, 4 KV heads, MLP 5632) with a small BPE; its parameters."""
    tokenizer = build_tokenizer()
    model = build_model(
        tokenizer,
        hidden=2048,
        layers=layers,
        init=0.02,
        intermediate_size=5632,
        num_attention_heads=16,
        num_key_value_heads=4,
        max_position_embeddings=1024,
        tie_word_embeddings=False,
    )
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return sum(p.numel() for p in model.parameters())


def long_set(path: Path) -> Path:
    """128 examples of ~150 tokens: a throughput load more like real SFT rows than 8 short facts."""
    filler = " ".join(f"{s} is {c}." for s, c in FACTS) * 2
    return write_sft_set(path, FACTS * 16, template=filler + " <|question|> {question} <|answer|>")


def changed_share(base: Path, tuned: Path) -> float:
    from safetensors.torch import load_file

    before, after = load_file(base / "model.safetensors"), load_file(tuned / "model.safetensors")
    keys = [k for k in before if ".layers." in k and k.endswith("proj.weight")]
    changed = sum(
        int((after[k].float() != before[k].to(after[k].dtype).float()).sum()) for k in keys
    )
    return changed / sum(before[k].numel() for k in keys)


def full(precision: str, steps: int, lr: float = 1e-5) -> dict:
    return {
        "method": "full",
        "precision": precision,
        "sft": {"learning_rate": lr, "max_steps": steps, "per_device_train_batch_size": 8},
    }


def tokens_per_s(metrics: dict, steps: int, batch: int = 8) -> float:
    """Tokens trained per second: steps x batch examples of the set's mean length."""
    per_example = metrics["train_tokens"] / metrics["train_examples"]
    return per_example * steps * batch / metrics["train_runtime"]


def timed(function, *args, **kwargs) -> tuple[dict, float]:
    start = time.perf_counter()
    metrics = function(*args, **kwargs)
    return metrics, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=22)  # 22 x 48M + embeddings = ~1.07B
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "no CUDA device: the GPU path has not run"}))
        return 0
    summary: dict = {"device": torch.cuda.get_device_name(), "torch": torch.__version__}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = root / "llama1b"
        summary["parameters"] = random_llama(model, args.layers)
        big = entry(model, name="llama1b")
        data = long_set(root / "set.jsonl")
        for precision in ("auto", "bf16"):
            out = root / precision
            torch.cuda.reset_peak_memory_stats()
            train_sft(big, data, full(precision, 1), out / "w", out / "t", out / "c")
            summary[f"one_step_changed_share_{precision}"] = changed_share(model, out / "w")
            summary[f"one_step_peak_gib_{precision}"] = torch.cuda.max_memory_allocated() / 2**30
        torch.cuda.reset_peak_memory_stats()
        out = root / "mixed_steps"
        metrics, seconds = timed(
            train_sft, big, data, full("auto", args.steps), out / "w", out / "t", out / "c"
        )
        summary["full_1b_tokens_per_s"] = tokens_per_s(metrics, args.steps)
        summary["full_1b_final_loss"] = metrics["final_loss"]
        out = root / "fsdp"
        metrics, seconds = timed(
            train_sft_launched,
            1,
            REPO / "config/launch/fsdp.yaml",
            root / "fsdp.log",
            entry=big,
            data_path=str(data),
            settings=full("auto", args.steps),
            adapter_dir=str(out / "w"),
            train_dir=str(out / "t"),
            ckpt_dir=str(out / "c"),
            seed=0,
        )
        log_text = (root / "fsdp.log").read_text()
        summary["fsdp_one_rank"] = {
            "final_loss": metrics["final_loss"],
            "tokens_per_s": tokens_per_s(metrics, args.steps),
            "wall_s": seconds,
            "fsdp_in_config": "fsdp: true" in (out / "t" / "config.yaml").read_text(),
            "peak_gpu_log": [line for line in log_text.splitlines() if "peak GPU memory" in line],
            "changed_share": changed_share(model, out / "w"),
        }
        tiny = entry(save_model_dir(root / "tiny"))
        facts = write_sft_set(root / "facts.jsonl")
        for method, lr in (("lora", 3e-2), ("full", 1e-2)):
            settings = {
                "method": method,
                "sft": {
                    "learning_rate": lr,
                    "num_train_epochs": 40,
                    "per_device_train_batch_size": 4,
                },
                "lora": {"target_modules": "all-linear"} if method == "lora" else {},
            }
            out = root / f"demo_{method}"
            metrics = train_sft(tiny, facts, settings, out / "w", out / "t", out / "c")
            summary[f"demo_{method}"] = {
                "final_loss": metrics["final_loss"],
                "tokens_per_s": metrics["train_tokens"] * 40 / metrics["train_runtime"],
            }
    print(json.dumps(summary, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
