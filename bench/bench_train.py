"""Training throughput of train_sft (TRL SFTTrainer): tokens per second for LoRA and full
fine-tuning on the demo model (results/demo/model) or, without it, a random Llama of the demo's
shape (4 layers, width 192).

    .venv/bin/python bench/bench_train.py [--model PATH] [--steps 30] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
from demo_shaped import FACTS, save_demo_model, write_sft_set

from sftlab.train import train_sft

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "results/demo/model")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.model.is_dir():
            path, label = args.model, f"demo model {args.model}"
        else:
            path, label = save_demo_model(root / "model"), "random demo model"
        data = write_sft_set(root / "set.jsonl", FACTS * 8)  # 64 examples
        print(f"{label}, {args.steps} steps of batch {args.batch_size}, {args.threads} threads")
        for method in ("lora", "full"):
            settings = {
                "method": method,
                "sft": {
                    "max_steps": args.steps,
                    "per_device_train_batch_size": args.batch_size,
                    "learning_rate": 1e-3,
                    "save_steps": 10_000,
                },
            }
            metrics = train_sft(
                {"name": "bench", "path": str(path)},
                data,
                settings,
                root / method / "adapter",
                root / method / "train",
                root / "ckpt" / method,
            )
            tokens = metrics["train_tokens"] * metrics["epoch"]
            print(
                f"{method:4s}  {tokens / metrics['train_runtime']:9.0f} tokens/s  "
                f"{metrics['train_steps_per_second']:6.1f} steps/s  "
                f"final loss {metrics['final_loss']:.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
