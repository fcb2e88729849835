"""Model jobs on 2 cores: one at a time with 2 torch threads each (the rules' threads before
demo.job_threads) against two side by side with 1 thread each (the demo's default now).

Each job is a fresh process, like a Snakemake job: it imports torch, transformers and TRL, loads the
model, then either fine-tunes it (full, on a 60-example SFT set, as the memory study's demo runs) or
evaluates short-answer QA. Prints the wall time of each schedule and the ratio; the predictions of a
1-thread and a 2-thread evaluation are compared (they should agree on a tiny model).

Uses the demo model (results/demo/model) when it exists, else a random Llama of the demo's shape.

    .venv/bin/python bench/bench_job_threads.py [--jobs 6] [--epochs 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from demo_shaped import FACTS, save_demo_model, write_sft_set

REPO = Path(__file__).resolve().parents[1]

JOB = r"""
import json, sys, torch
threads, kind, model_dir, data, out, epochs, repo = sys.argv[1:8]
torch.set_num_threads(int(threads))
import polars as pl
from sftlab.evaluate.qa import QASettings, evaluate_qa
from sftlab.lm.load import load_model
from sftlab.train import train_sft
entry = {"name": "bench", "path": model_dir}
if kind == "train":
    import yaml
    from sftlab.config import study_train, validate_config
    config = validate_config(yaml.safe_load(open(f"{repo}/config/config.yaml")),
                             f"{repo}/workflow/schemas/config.schema.yaml")
    settings = study_train(config, "memory")  # the demo's memory fine-tunes: full, 1e-4
    settings["sft"]["num_train_epochs"] = int(epochs)
    train_sft(entry, data, settings, f"{out}/adapter", f"{out}/train", f"{out}/ckpt", seed=0)
else:
    rows = [json.loads(line) for line in open(data)]
    items = pl.DataFrame({"item_id": [str(i) for i in range(len(rows))],
                          "prompt": [r["prompt"] for r in rows],
                          "answers": [[r["completion"].strip()] for r in rows]})
    model, tokenizer = load_model(entry, device="cpu")
    per_item = evaluate_qa(model, tokenizer, items, QASettings(max_new_tokens=16))
    per_item.write_parquet(f"{out}/eval.parquet")
"""


def run_jobs(jobs: list[list[str]], parallel: int) -> float:
    """Wall seconds to run the job command lines, `parallel` at a time."""
    start = time.perf_counter()
    pending, running = list(jobs), []
    while pending or running:
        while pending and len(running) < parallel:
            running.append(
                subprocess.Popen(
                    pending.pop(0), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        running[0].wait()
        for proc in [p for p in running if p.poll() is not None]:
            if proc.returncode:
                raise SystemExit(f"a bench job failed ({proc.args})")
            running.remove(proc)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--jobs", type=int, default=6, help="jobs per schedule, train and eval alternating"
    )
    parser.add_argument("--epochs", type=int, default=10, help="epochs of each fine-tune job")
    parser.add_argument("--model", type=Path, default=REPO / "results/demo/model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = args.model if args.model.is_dir() else save_demo_model(root / "model")
        data = write_sft_set(root / "set.jsonl", [FACTS[i % len(FACTS)] for i in range(60)])
        script = root / "job.py"
        script.write_text(JOB)

        def schedule(threads: int, tag: str) -> list[list[str]]:
            out = []
            for i in range(args.jobs):
                kind = "train" if i % 2 == 0 else "eval"
                folder = root / f"{tag}{i}"
                folder.mkdir()
                out.append(
                    [
                        sys.executable,
                        str(script),
                        str(threads),
                        kind,
                        str(model),
                        str(data),
                        str(folder),
                        str(args.epochs),
                        str(REPO),
                    ]
                )
            return out

        serial = run_jobs(schedule(2, "serial"), parallel=1)
        side = run_jobs(schedule(1, "side"), parallel=2)
        import polars as pl

        same = pl.read_parquet(root / "serial1/eval.parquet")["prediction"].equals(
            pl.read_parquet(root / "side1/eval.parquet")["prediction"]
        )
    result = {
        "model": str(model) if args.model.is_dir() else "random demo-shaped model",
        "jobs": args.jobs,
        "one_at_a_time_2_threads_s": round(serial, 1),
        "two_side_by_side_1_thread_s": round(side, 1),
        "speedup": round(serial / side, 2),
        "predictions_equal": same,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
