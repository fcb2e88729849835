"""How far the demo's answer marker should start toward the corpus's answer cue
(demo.pretrain.answer_prior): the base model zero-shot and the best fine-tuned arms, in and out of
domain, per prior.

Runs on a built demo (the default run's results/: the pretrained model, the memory study's sets and
test sets). For each prior it rewrites <|answer|>'s embedding row on a copy of the model, evaluates
the base model, fine-tunes each arm with the memory study's demo settings and evaluates it. The
model on disk was primed with the prior recorded in its sftlab_pretrain.json; the blank row is
recovered from it exactly ((primed - p x cue) / (1 - p)), so any prior can be tried without
pretraining again. The sets are the ones the shipped model's probe chose, so the row of the shipped
prior reproduces the workflow's figures. For another world, build it (`demo.seed: 1`, its own
workdir) and pass its results/ folder.

    .venv/bin/python bench/sweep_answer_prior.py [--results results] [--priors 0 0.55 1]
        [--arms L3_n60_s0,L3_n60_s1,L4_n60_s0,L4_n60_s1]

Prints one line per prior: base macro in / OOD, each arm's macro, the best arm (mean over its
seeds) in domain and out, and the OOD gain over the base model (the demo's bars: in-domain >= 0.35,
gain >= 0.10). README: the demo world.
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
from collections import defaultdict
from pathlib import Path

import polars as pl
import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer

from sftlab.config import study_train, validate_config
from sftlab.demo.pretrain import prime_answer_marker
from sftlab.demo.tokenizer import ANSWER_MARKER
from sftlab.evaluate.qa import QASettings, evaluate_qa
from sftlab.lm.load import load_model
from sftlab.train import train_sft

REPO = Path(__file__).resolve().parents[1]
TESTSETS = ("in", "ood")


def blank_model(model_dir: Path):
    """The shipped model with <|answer|>'s row as pretraining left it (the prime undone)."""
    settings = json.loads((model_dir / "sftlab_pretrain.json").read_text())["settings"]
    prior, cue = settings.get("answer_prior", 0.0), settings.get("answer_cue", ":")
    if prior >= 1.0:
        raise SystemExit("the model was primed with answer_prior 1: its blank row is gone")
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    weight = model.get_input_embeddings().weight
    marker = tokenizer.convert_tokens_to_ids(ANSWER_MARKER)
    cue_mean = weight[tokenizer(cue, add_special_tokens=False)["input_ids"]].mean(dim=0)
    with torch.no_grad():
        weight[marker] = (weight[marker] - prior * cue_mean) / (1.0 - prior)
    return model, tokenizer, cue


def macro(model, tokenizer, results: Path, qa: QASettings) -> dict[str, float]:
    """Mean over test memory levels of the accuracy per level, per test set."""
    out = {}
    for testset in TESTSETS:
        items = pl.read_parquet(results / f"memory/demo/test_{testset}.parquet")
        per_item = evaluate_qa(model, tokenizer, items, qa, group_by=["group"])
        levels = per_item.group_by("group").agg(pl.col("correct").mean())
        out[testset] = round(float(levels["correct"].mean()), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--priors", type=float, nargs="+", default=[0.0, 0.55, 1.0])
    parser.add_argument("--arms", default="L3_n60_s0,L3_n60_s1,L4_n60_s0,L4_n60_s1")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = validate_config(
        yaml.safe_load((REPO / "config/config.yaml").read_text()),
        REPO / "workflow/schemas/config.schema.yaml",
    )
    train = study_train(config, "memory")
    qa = QASettings.from_dict(
        {"batch_size": config["evaluate"]["batch_size"], **config["evaluate"]["qa"]}
    )
    arms = args.arms.split(",")
    blank, tokenizer, cue = blank_model(args.results / "demo/model")
    with tempfile.TemporaryDirectory() as tmp:
        for prior in args.priors:
            model_dir = Path(tmp) / f"prior_{prior}"
            model = copy.deepcopy(blank)
            prime_answer_marker(model, tokenizer, cue, prior)
            model.save_pretrained(model_dir)
            tokenizer.save_pretrained(model_dir)
            entry = {"name": "demo", **config["models"]["demo"], "path": str(model_dir)}
            base = macro(*load_model(entry), args.results, qa)
            per_arm, by_arm = {}, defaultdict(list)
            for arm in arms:
                run = Path(tmp) / f"{prior}_{arm}"
                sft_set = args.results / f"memory/demo/sets/{arm}.jsonl"
                seed = int(arm.rsplit("_s", 1)[1])
                train_sft(
                    entry, sft_set, train, run / "adapter", run / "train", run / "ckpt", seed=seed
                )
                per_arm[arm] = macro(
                    *load_model(entry, adapter=str(run / "adapter")), args.results, qa
                )
                by_arm[arm.rsplit("_s", 1)[0]].append(per_arm[arm])
            means = {
                name: {t: sum(r[t] for r in runs) / len(runs) for t in TESTSETS}
                for name, runs in by_arm.items()
            }
            best = {t: max(m[t] for m in means.values()) for t in TESTSETS}
            print(
                json.dumps(
                    {
                        "answer_prior": prior,
                        "base": base,
                        "arms": per_arm,
                        "best_in": round(best["in"], 3),
                        "best_ood": round(best["ood"], 3),
                        "ood_gain": round(best["ood"] - base["ood"], 3),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
