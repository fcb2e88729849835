"""Memory probing throughput by backend, in completions per second, on the same facts and settings:
the naive peer (transformers `model.generate` with a per-row stopping criterion, sftlab's path
before its own decode loop; bench/naive_generate.py), the hf backend's decode loop without and
with stop-on-hit, and the server backend against a local `transformers serve` (the
`transformers[serving]` extra); ratios to the naive peer. Target: the loop with stop-on-hit
>= 1.5x the naive peer on the demo model.

Uses the demo model (results/demo/model) and demo facts (results/data/entityquestions.parquet)
when they exist, else a random Llama of the demo's shape (4 layers, width 192) and invented
subjects (which it never completes with their object, so stop-on-hit has nothing to stop).

    .venv/bin/python bench/bench_probe.py [--facts 60] [--threads 1] [--clock cpu] [--no-server]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl
import torch
from naive_generate import naive_complete

from sftlab.memory.backends import open_backend
from sftlab.memory.backends.hf import HFBackend
from sftlab.memory.probe import ProbeSettings, run_probe
from sftlab.memory.templates import load_aliases, load_templates

REPO = Path(__file__).resolve().parents[1]
DEMO_MODEL = REPO / "results/demo/model"
DEMO_FACTS = REPO / "results/data/entityquestions.parquet"
TARGET_STOP_ON_HIT = 1.5
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


class NaiveHF(HFBackend):
    """The hf backend with transformers `generate` in place of sftlab's decode loop."""

    complete = staticmethod(naive_complete)


def load(facts_wanted: int, folder: Path) -> tuple[dict, pl.DataFrame, str]:
    """A model entry and facts: the demo's, or a random demo-shaped model saved to `folder`."""
    if DEMO_MODEL.is_dir() and DEMO_FACTS.is_file():
        facts = pl.read_parquet(DEMO_FACTS).filter(pl.col("split") == "train")
        entry = {"name": "demo", "path": str(DEMO_MODEL), "kind": "base"}
        return entry, facts.sample(min(facts_wanted, facts.height), seed=0), "demo model"
    from demo_shaped import save_demo_model

    relations = sorted(load_templates(REPO / "config/templates/demo.yaml").by_relation)
    facts = pl.DataFrame(
        {
            "fact_id": [f"f{i}" for i in range(facts_wanted)],
            "relation": [relations[i % len(relations)] for i in range(facts_wanted)],
            "subject": [f"Norland{i}" for i in range(facts_wanted)],
            "answers": [["Vemor"]] * facts_wanted,
        }
    )
    model = save_demo_model(folder / "model")
    entry = {"name": "demo-shaped", "path": str(model), "kind": "base"}
    return entry, facts, "random demo-shaped model"


def timed(
    backend, facts, settings: ProbeSettings, folder: Path, clock: str
) -> tuple[float, pl.DataFrame]:
    """Completions per second of this process's CPU time (cpu: other jobs on a busy machine slow
    the wall clock, not it) or of wall time (wall: a machine to itself, or a server's work).
    """
    templates = load_templates(REPO / "config/templates/demo.yaml")
    aliases = load_aliases(REPO / "config/aliases/demo.yaml")
    with tempfile.TemporaryDirectory(dir=folder) as shards:
        start = CLOCKS[clock]()
        table = run_probe(backend, facts, templates, aliases, settings, shards, "bench")
        seconds = CLOCKS[clock]() - start
    return int(table["samples"].sum()) / seconds, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=60)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--max-new-tokens", type=int, default=8)  # the demo config's
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--server-facts", type=int, default=12, help="the server arm is slow")
    parser.add_argument("--no-server", action="store_true")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        entry, facts, what = load(args.facts, folder)
        common = dict(
            samples=args.samples,
            max_new_tokens=args.max_new_tokens,
            batch_size=args.batch_size,
            shard_facts=10**9,
            raw_fraction=0.0,
            raw_min_facts=0,
        )
        hf = open_backend("hf", {}, entry, args.batch_size)
        naive = NaiveHF(hf.model, hf.tokenizer, args.batch_size)
        print(f"model: {what}; {facts.height} facts; {args.threads} threads; {args.clock} clock")
        base, plain = timed(naive, facts, ProbeSettings(**common), folder, args.clock)
        hit_rate = plain["hits"].sum() / plain["samples"].sum()
        print(f"naive generate:        {base:8.1f} completions/s  (hit rate {hit_rate:.2f})")
        rate, loop = timed(hf, facts, ProbeSettings(**common), folder, args.clock)
        print(f"hf loop:               {rate:8.1f} completions/s  ratio {rate / base:.2f}x")
        rate, early = timed(
            hf, facts, ProbeSettings(**common, stop_on_hit=True), folder, args.clock
        )
        ratio = rate / base
        met = "met" if ratio >= TARGET_STOP_ON_HIT else "NOT met"
        same = loop["hits"].to_list() == early["hits"].to_list()
        print(
            f"hf loop stop-on-hit:   {rate:8.1f} completions/s  ratio {ratio:.2f}x "
            f"(target >= {TARGET_STOP_ON_HIT}x: {met}); per-fact hits identical to the loop "
            f"without stop-on-hit: {same}"
        )
        if args.no_server:
            return
        from sftlab.testing.serve import sampling_body, transformers_serve

        small = facts.head(args.server_facts)
        local, _ = timed(naive, small, ProbeSettings(**common), folder, "wall")
        with transformers_serve(Path(entry["path"]), folder / "serve.log") as api_base:
            options = {"api_base": api_base, "extra_body": sampling_body(Path(entry["path"]))}
            settings = ProbeSettings(**common, backend="server", server=options)
            server = open_backend("server", settings.backend_options(), entry, args.batch_size)
            rate, _ = timed(server, small, settings, folder, "wall")
        print(
            f"server ({small.height} facts, transformers serve, CPU, wall clock): "
            f"{rate:8.1f} completions/s  "
            f"ratio {rate / local:.2f}x to naive generate on the same facts ({local:.1f}/s)"
        )


if __name__ == "__main__":
    main()
