"""Multi-template complementation (arXiv 2409.15825): how often a base model completes each template
of a fact with its object. Sampled, batched, sharded and resumable.

Every (fact, template) prompt is completed `samples` times at `temperature` (all samples of a prompt
in one batch, prompts length-sorted, rows stopping at EOS) and a sample is a hit when it contains
the object or an alias (sftlab.evaluate.match.is_hit, the matcher of evaluate_qa). Facts are cut
into shards; each finished shard is written atomically under a key that hashes everything its result
depends on (settings, model, templates, aliases, matcher, the shard's facts), so a re-run after a
kill skips finished shards and changed settings never reuse stale ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sftlab.evaluate.match import MatchSettings, is_hit
from sftlab.io import stable_id, write_parquet
from sftlab.logs import Progress
from sftlab.memory.templates import Aliases, Templates, render, template_id

log = logging.getLogger(__name__)

SHARD_FORMAT = 1  # bump when the shard's content or meaning changes, to invalidate old shards
PROBE_SCHEMA = {
    "fact_id": pl.String,
    "relation": pl.String,
    "template_id": pl.String,
    "hits": pl.Int16,
    "samples": pl.Int16,
    "raw": pl.List(pl.String),
}


@dataclass(frozen=True)
class ProbeSettings:
    samples: int = 10  # paper: 10 samples per template
    temperature: float = 0.7  # paper: 0.7
    top_p: float = 1.0  # paper: unstated; 1.0 = no nucleus truncation
    top_k: int = 0  # paper: unstated; 0 = no top-k truncation (pure temperature sampling)
    max_new_tokens: int = 32  # paper: 32
    stop: tuple[str, ...] = ()  # stop strings ending a sample early; paper: none
    batch_size: int = 256  # sequences (prompts x samples) per forward pass
    seed: int = 0
    shard_facts: int = 1000  # facts per resumable shard
    raw_fraction: float = (
        0.01  # share of facts whose raw samples are kept, chosen by hashing fact_id
    )
    match: dict[str, Any] = field(
        default_factory=dict
    )  # sftlab.evaluate.match.MatchSettings fields

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeSettings:
        data = dict(data)
        if "stop" in data:
            data["stop"] = tuple(data["stop"])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def result_key(self) -> dict[str, Any]:
        """Settings that change results: all but the shard size (the shard's facts are keyed)."""
        out = self.to_dict()
        del out["shard_facts"]
        return out


def keeps_raw(fact_id: str, fraction: float) -> bool:
    return int(stable_id("raw", fact_id), 16) < fraction * 16**16


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


Generate = Callable[..., list[list[str]]]


def probe_shard(
    generate: Generate,
    facts: pl.DataFrame,
    templates: Templates,
    aliases: Aliases,
    settings: ProbeSettings,
    seed: int,
    on_batch: Callable[[int], None] | None = None,
) -> pl.DataFrame:
    """Hits per (fact, template) for one shard; `generate` is sftlab.generate.generate, model
    bound.
    """
    table = prompts_of(facts, templates)
    match = MatchSettings.from_dict(settings.match)
    gold = {row["fact_id"]: aliases.expand(row["answers"]) for row in facts.iter_rows(named=True)}
    completions = generate(
        table["prompt"].to_list(),
        max_new_tokens=settings.max_new_tokens,
        num_samples=settings.samples,
        do_sample=True,
        temperature=settings.temperature,
        top_p=settings.top_p,
        top_k=settings.top_k,
        stop=list(settings.stop),
        batch_size=settings.batch_size,
        seed=seed,
        on_batch=on_batch,
    )
    fact_ids = table["fact_id"].to_list()
    hits = [
        sum(is_hit(s, gold[f], match) for s in samples)
        for f, samples in zip(fact_ids, completions, strict=True)
    ]
    raw = [
        samples if keeps_raw(f, settings.raw_fraction) else None
        for f, samples in zip(fact_ids, completions, strict=True)
    ]
    return pl.DataFrame(
        {
            "fact_id": fact_ids,
            "relation": table["relation"],
            "template_id": table["template_id"],
            "hits": hits,
            "samples": [settings.samples] * table.height,
            "raw": raw,
        },
        schema=PROBE_SCHEMA,
    )


def run_probe(
    generate: Generate,
    facts: pl.DataFrame,
    templates: Templates,
    aliases: Aliases,
    settings: ProbeSettings,
    shard_dir: str | Path,
    model_key: str,
) -> pl.DataFrame:
    """Probe every fact, shard by shard, reusing finished shards; return the concatenated table.

    `facts` needs fact_id, relation, subject, answers. Shards whose key no longer matches (changed
    settings, model, templates, aliases) are ignored and removed at the end.
    """
    shard_dir = Path(shard_dir)
    shard_dir.mkdir(parents=True, exist_ok=True)
    context = {
        "format": SHARD_FORMAT,
        "settings": settings.result_key(),
        "model": model_key,
        "templates": templates.digest,
        "aliases": aliases.digest,
    }
    plan = []
    for index, shard in enumerate(shards(facts, settings.shard_facts)):
        ids = shard["fact_id"].to_list()
        key = stable_id(context, ids)
        plan.append((shard, shard_path(shard_dir, index, key), int(key[:8], 16)))
    todo = [(s, p, seed) for s, p, seed in plan if not p.exists()]
    n_templates = {rel: len(t) for rel, t in templates.by_relation.items()}
    prompts = sum(n_templates[r] for s, _, _ in todo for r in s["relation"].to_list())
    log.info(
        "probe: %d facts in %d shard(s), %d already finished; %d prompts x %d samples to generate",
        facts.height,
        len(plan),
        len(plan) - len(todo),
        prompts,
        settings.samples,
    )
    progress = Progress(prompts, "probe", unit="prompts", logger=log)
    for shard, path, seed in todo:
        table = probe_shard(generate, shard, templates, aliases, settings, seed, progress.update)
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
