"""Multi-template complementation (arXiv 2409.15825): how often a base model completes each template
of a fact with its object. Sampled, batched, sharded and resumable.

Every (fact, template) prompt is completed `samples` times at `temperature` by a backend
(sftlab.memory.backends: hf, vllm or server) and a sample is a hit when it contains the object or
an alias (sftlab.evaluate.match.is_hit, the matcher of evaluate_qa). With `stop_on_hit` a sample
ends as soon as its hit is decided; the raw record says so (finish "hit"). Facts are cut
into shards; each finished shard is written atomically under a key that hashes everything its result
depends on (settings, model, templates, aliases, matcher, the shard's facts), so a re-run after a
kill skips finished shards and changed settings never reuse stale ones. The backend's identity
(name, library version, options that change samples) is part of the key.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sftlab.evaluate.match import MatchSettings, is_hit
from sftlab.io import stable_id, write_parquet
from sftlab.logs import Progress
from sftlab.memory.backends import Backend, SamplingRequest
from sftlab.memory.backends.hits import HitTest
from sftlab.memory.templates import Aliases, Templates, render, template_id

log = logging.getLogger(__name__)

SHARD_FORMAT = 2  # bump when the shard's content or meaning changes, to invalidate old shards
PROBE_SCHEMA = {
    "fact_id": pl.String,
    "relation": pl.String,
    "template_id": pl.String,
    "hits": pl.Int16,
    "samples": pl.Int16,
    "raw": pl.List(pl.String),
    "finish": pl.List(pl.String),  # per raw sample: stop (EOS, stop string), hit, length
}


@dataclass(frozen=True)
class ProbeSettings:
    samples: int = 10  # paper: 10 samples per template
    temperature: float = 0.7  # paper: 0.7
    top_p: float = 1.0  # paper: unstated; 1.0 = no nucleus truncation
    top_k: int = 0  # paper: unstated; 0 = no top-k truncation (pure temperature sampling)
    max_new_tokens: int = 32  # paper: 32
    stop: tuple[str, ...] = ()  # stop strings ending a sample early; paper: none
    stop_on_hit: bool = False  # end a sample once it is a hit; hits unchanged, raw samples shorter
    backend: str = "hf"  # hf | vllm | server (sftlab.memory.backends)
    batch_size: int = 256  # hf: sequences (prompts x samples) per forward pass
    seed: int = 0
    shard_facts: int = 1000  # facts per resumable shard
    raw_fraction: float = 0.01  # share of facts whose raw samples are kept (by fact_id hash)
    raw_min_facts: int = 20  # but at least this many (all facts of a smaller set)
    match: dict[str, Any] = field(default_factory=dict)  # evaluate.match.MatchSettings fields
    vllm: dict[str, Any] = field(default_factory=dict)  # VLLMBackend options
    server: dict[str, Any] = field(default_factory=dict)  # ServerBackend options

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeSettings:
        data = dict(data)
        if "stop" in data:
            data["stop"] = tuple(data["stop"])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def result_key(self) -> dict[str, Any]:
        """Settings that change results, less the shard size (the shard's facts are keyed), the raw
        share (the shard's kept facts are keyed) and the backend's options (its identity is).
        """
        out = self.to_dict()
        for name in (
            "shard_facts",
            "raw_fraction",
            "raw_min_facts",
            "batch_size",
            "vllm",
            "server",
        ):
            del out[name]
        return out

    def backend_options(self) -> dict[str, Any]:
        options = {"hf": {}, "vllm": self.vllm, "server": self.server}[self.backend]
        return {**options, **({"match": self.match_settings()} if self.backend != "hf" else {})}

    def match_settings(self) -> MatchSettings:
        return MatchSettings.from_dict(self.match)


def raw_facts(fact_ids: list[str], fraction: float, minimum: int) -> set[str]:
    """Facts whose raw samples are kept: the first max(fraction x facts, minimum) by a hash of
    fact_id, so the choice is stable, spread over relations, and never empty on a small fact set.
    """
    ranked = sorted(fact_ids, key=lambda f: stable_id("raw", f))
    return set(ranked[: max(math.ceil(fraction * len(ranked)), minimum)])


def prompts_of(facts: pl.DataFrame, templates: Templates) -> pl.DataFrame:
    """One row per (fact, template): fact_id, relation, template_id, prompt."""
    rows = []
    for fact in facts.iter_rows(named=True):
        for i, text in enumerate(templates.by_relation[fact["relation"]]):
            rows.append(
                {
                    "fact_id": fact["fact_id"],
                    "relation": fact["relation"],
                    "template_id": template_id(fact["relation"], i),
                    "prompt": render(text, fact["subject"]),
                }
            )
    return pl.DataFrame(
        rows, schema={k: pl.String for k in ("fact_id", "relation", "template_id", "prompt")}
    )


def shards(facts: pl.DataFrame, size: int) -> Iterator[pl.DataFrame]:
    ordered = facts.sort("fact_id")
    for start in range(0, ordered.height, size):
        yield ordered.slice(start, size)


def shard_path(shard_dir: Path, index: int, key: str) -> Path:
    return shard_dir / f"shard{index:05d}_{key}.parquet"


def probe_shard(
    backend: Backend,
    facts: pl.DataFrame,
    templates: Templates,
    aliases: Aliases,
    settings: ProbeSettings,
    seed: int,
    keep_raw: set[str],
    on_batch: Callable[[int], None] | None = None,
) -> pl.DataFrame:
    """Hits per (fact, template) for one shard, with raw samples of the facts in `keep_raw`."""
    table = prompts_of(facts, templates)
    match = settings.match_settings()
    gold = {row["fact_id"]: aliases.expand(row["answers"]) for row in facts.iter_rows(named=True)}
    fact_ids = table["fact_id"].to_list()
    golds = [gold[f] for f in fact_ids]
    request = SamplingRequest(
        prompts=table["prompt"].to_list(),
        gold=golds,
        samples=settings.samples,
        temperature=settings.temperature,
        top_p=settings.top_p,
        top_k=settings.top_k,
        max_new_tokens=settings.max_new_tokens,
        stop=settings.stop,
        seed=seed,
        stop_on_hit=settings.stop_on_hit,
        hit_tests=[HitTest(g, match) for g in golds] if settings.stop_on_hit else (),
    )
    completions = backend.sample(request, on_batch)
    hits = [
        sum(is_hit(s.text, g, match) for s in samples)
        for g, samples in zip(golds, completions, strict=True)
    ]
    rows = list(zip(completions, [f in keep_raw for f in fact_ids], strict=True))
    return pl.DataFrame(
        {
            "fact_id": fact_ids,
            "relation": table["relation"],
            "template_id": table["template_id"],
            "hits": hits,
            "samples": [settings.samples] * table.height,
            "raw": [[s.text for s in c] if k else None for c, k in rows],
            "finish": [[s.finish for s in c] if k else None for c, k in rows],
        },
        schema=PROBE_SCHEMA,
    )


def run_probe(
    backend: Backend,
    facts: pl.DataFrame,
    templates: Templates,
    aliases: Aliases,
    settings: ProbeSettings,
    shard_dir: str | Path,
    model_key: str,
) -> pl.DataFrame:
    """Probe every fact, shard by shard, reusing finished shards; return the concatenated table.

    `facts` needs fact_id, relation, subject, answers. Shards whose key no longer matches (changed
    settings, backend, model, templates, aliases) are ignored and removed at the end.
    """
    shard_dir = Path(shard_dir)
    shard_dir.mkdir(parents=True, exist_ok=True)
    context = {
        "format": SHARD_FORMAT,
        "settings": settings.result_key(),
        "backend": backend.identity(),
        "model": model_key,
        "templates": templates.digest,
        "aliases": aliases.digest,
    }
    keep = raw_facts(facts["fact_id"].to_list(), settings.raw_fraction, settings.raw_min_facts)
    # The seed ignores stop_on_hit, so a run with it draws the same samples up to each hit (hf),
    # and the model key, which holds a local folder's file times: a rebuilt, identical model (the
    # demo's, on every fresh run) must draw the same samples. The shard key keeps both.
    seed_context = {
        **context,
        "settings": {**context["settings"], "stop_on_hit": None},
        "model": None,
    }
    plan = []
    for index, shard in enumerate(shards(facts, settings.shard_facts)):
        ids = shard["fact_id"].to_list()
        key = stable_id(context, ids, sorted(keep.intersection(ids)))
        seed = int(stable_id(seed_context, ids)[:8], 16)
        plan.append((shard, shard_path(shard_dir, index, key), seed))
    todo = [(s, p, seed) for s, p, seed in plan if not p.exists()]
    n_templates = {rel: len(t) for rel, t in templates.by_relation.items()}
    prompts = sum(n_templates[r] for s, _, _ in todo for r in s["relation"].to_list())
    log.info(
        "probe (%s): %d facts in %d shard(s), %d already finished; %d prompts x %d samples to "
        "generate; raw samples kept for %d facts",
        settings.backend,
        facts.height,
        len(plan),
        len(plan) - len(todo),
        prompts,
        settings.samples,
        len(keep),
    )
    progress = Progress(prompts, "probe", unit="prompts", logger=log)
    for shard, path, seed in todo:
        table = probe_shard(
            backend, shard, templates, aliases, settings, seed, keep, progress.update
        )
        write_parquet(path, table)
        log.info("probe: wrote %s (%d facts); %s", path.name, shard.height, progress.line())
    wanted = {p for _, p, _ in plan}
    for stale in set(shard_dir.glob("shard*.parquet")) - wanted:
        stale.unlink()
    return (
        pl.concat([pl.read_parquet(p) for _, p, _ in plan])
        if plan
        else pl.DataFrame(schema=PROBE_SCHEMA)
    )


def model_key(entry: dict[str, Any]) -> str:
    """Identity of a model's weights for shard keys: hub id + revision, or a local folder's file
    stats.
    """
    if entry.get("hub_id"):
        return stable_id(entry["hub_id"], entry.get("revision"), entry.get("dtype"))
    folder = Path(entry["path"])
    stats = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()
    )
    return stable_id(str(folder), stats, entry.get("dtype"))
