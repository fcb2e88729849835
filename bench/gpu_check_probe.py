"""GPU check of the vllm backend: parity with the hf backend on the same facts, and the speed of
both. Run on a CUDA machine with vLLM installed (envs/vllm.yaml); without CUDA or vLLM it says why
and exits 0, so it is safe anywhere.

Parity: per-fact R (hits / samples over all templates) from hf and from vllm, their Spearman
correlation and mean difference. The two engines draw different random streams, so R differs by
sampling noise even for identical distributions; the noise floor is measured, not assumed: hf
against hf with another seed. Parity holds when vllm-vs-hf agreement is within that floor
(Spearman close to the hf-vs-hf one, mean difference within ~2 standard errors).

    python bench/gpu_check_probe.py --model Qwen/Qwen2.5-0.5B \\
        [--facts results/data/entityquestions.parquet] [--n-facts 500]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from sftlab.memory.backends import open_backend
from sftlab.memory.estimator import rank_agreement
from sftlab.memory.levels import probe_subsets
from sftlab.memory.probe import ProbeSettings, run_probe
from sftlab.memory.templates import load_aliases, load_templates

REPO = Path(__file__).resolve().parents[1]


def ready() -> str | None:
    """Why this check cannot run here, or None."""
    import torch

    if not torch.cuda.is_available():
        return "no CUDA device"
    try:
        import vllm  # noqa: F401
    except ImportError:
        return "vLLM is not installed (conda env create -f envs/vllm.yaml)"
    return None


def score(table: pl.DataFrame) -> pl.DataFrame:
    return table.group_by("fact_id").agg(
        (pl.col("hits").sum() / pl.col("samples").sum()).alias("R")
    )


def compare(a: pl.DataFrame, b: pl.DataFrame) -> str:
    joined = score(a).join(score(b), on="fact_id", suffix="_b")
    diff = (joined["R"] - joined["R_b"]).to_numpy()
    se = float(diff.std(ddof=1) / math.sqrt(len(diff))) if len(diff) > 1 else float("nan")
    rho = rank_agreement(score(a), score(b))["spearman"]
    return f"Spearman {rho:.3f}, mean difference {diff.mean():+.4f} (standard error {se:.4f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="hub id or local folder")
    parser.add_argument("--facts", default=str(REPO / "results/data/entityquestions.parquet"))
    parser.add_argument("--templates", default=str(REPO / "config/templates/entityquestions.yaml"))
    parser.add_argument("--aliases", default=str(REPO / "config/aliases/entityquestions.yaml"))
    parser.add_argument("--n-facts", type=int, default=500)
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.6)
    args = parser.parse_args()
    why = ready()
    if why:
        print(f"gpu_check_probe: skipped ({why})")
        return
    facts = probe_subsets(pl.read_parquet(args.facts)).sample(n=args.n_facts, seed=0, shuffle=True)
    templates, aliases = load_templates(args.templates), load_aliases(args.aliases)
    key = "hub_id" if not Path(args.model).exists() else "path"
    entry = {"name": "check", key: args.model, "dtype": args.dtype, "kind": "base"}
    settings = ProbeSettings(raw_min_facts=0, raw_fraction=0.0)

    def probe(name: str, options: dict, seed: int):
        extra = {name: options} if name != "hf" else {}
        s = ProbeSettings(**{**settings.to_dict(), "backend": name, "seed": seed, **extra})
        backend = open_backend(name, s.backend_options(), entry, s.batch_size)
        with tempfile.TemporaryDirectory() as shards:
            start = time.perf_counter()
            table = run_probe(backend, facts, templates, aliases, s, shards, f"check-{seed}")
            rate = int(table["samples"].sum()) / (time.perf_counter() - start)
        del backend
        return table, rate

    hf, hf_rate = probe("hf", {}, 0)
    hf_other, _ = probe("hf", {}, 1)
    vllm_options = {"gpu_memory_utilization": args.gpu_memory_utilization}
    engine, engine_rate = probe("vllm", vllm_options, 0)
    print(f"model {args.model}, {facts.height} facts, settings {settings.result_key()}")
    print(f"noise floor (hf seed 0 vs hf seed 1): {compare(hf, hf_other)}")
    print(f"parity (vllm vs hf):                  {compare(engine, hf)}")
    print(f"hf:   {hf_rate:9.1f} completions/s")
    print(f"vllm: {engine_rate:9.1f} completions/s  ({engine_rate / hf_rate:.1f}x)")


if __name__ == "__main__":
    sys.exit(main())
