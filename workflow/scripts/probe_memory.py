"""Probe a base model's memory of each fact: hits per (fact, template) over sampled completions.

Inputs: facts (EntityQuestions contract), templates, aliases, the model folder (local models).
Outputs: probe (fact_id, relation, template_id, hits, samples), raw (raw samples and how each
ended, for a share of the facts), meta (settings, backend, versions, throughput). The backend
(hf, vllm, server) is memory.probe.backend. Shards under params.shard_dir make a killed run
resumable; they are removed once the outputs are written.
"""

import logging
import shutil
import time

import polars as pl
import torch

from sftlab.evaluate.match import MatchSettings
from sftlab.gpu_slots import claim_gpus
from sftlab.io import provenance, write_json, write_parquet
from sftlab.logs import setup_logging
from sftlab.memory.backends import open_backend
from sftlab.memory.levels import probe_subsets
from sftlab.memory.probe import ProbeSettings, model_key, run_probe
from sftlab.memory.templates import load_aliases, load_templates

log = logging.getLogger("probe_memory")


def main(smk) -> None:
    setup_logging(smk.log[0])
    claim_gpus(smk.resources.gpu)  # this job's own GPU on a shared workstation
    settings = ProbeSettings.from_dict({**smk.params.settings, "match": smk.params.match})
    log.info("model %s; settings %s", smk.params.model, settings.to_dict())
    facts = probe_subsets(pl.read_parquet(smk.input.facts))
    templates = load_templates(smk.input.templates)
    templates.check_covers(facts["relation"].unique())
    aliases = load_aliases(smk.input.aliases, MatchSettings.from_dict(smk.params.match))
    backend = open_backend(
        settings.backend, settings.backend_options(), smk.params.model, settings.batch_size
    )
    log.info("backend %s", backend.identity())
    start = time.perf_counter()
    table = run_probe(
        backend,
        facts,
        templates,
        aliases,
        settings,
        smk.params.shard_dir,
        model_key(smk.params.model),
    )
    seconds = time.perf_counter() - start
    write_parquet(smk.output.probe, table.drop("raw", "finish"))
    raw = table.filter(pl.col("raw").is_not_null())
    write_parquet(smk.output.raw, raw)
    log.info("raw samples kept for %d facts", raw["fact_id"].n_unique())
    completions = int(table["samples"].sum())
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    log.info(
        "%d completions in %.0f s (this run), peak GPU memory %s GiB", completions, seconds, peak
    )
    meta = {
        "model": smk.params.model,
        "settings": settings.to_dict(),
        "backend": backend.identity(),
        "templates": {"version": templates.version, "digest": templates.digest},
        "aliases": {"version": aliases.version, "digest": aliases.digest},
        "facts": facts.height,
        "completions": completions,
        "seconds_this_run": seconds,
        "peak_gpu_gib": peak,
    }
    write_json(smk.output.meta, provenance(**meta))
    shutil.rmtree(smk.params.shard_dir, ignore_errors=True)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
