"""probe_memory: a base model's memory of each fact, hits per (fact, template) over sampled
completions. The backend (hf, vllm, server) is memory.probe.backend.

Inputs:  facts      results/data/entityquestions.parquet
         templates  memory.templates
         aliases    memory.aliases
         model      the model folder (local models) or the hub model's fetch marker
Outputs: probe      results/memory/{model}/probe.parquet (fact_id, relation, template_id, hits,
                    samples)
         raw        results/memory/{model}/probe_raw.parquet (raw samples and how each ended, for a
                    share of the facts)
         meta       results/memory/{model}/probe.json (settings, backend, versions, throughput)
Params:  model      the model entry (models.<name>)
         settings   memory.probe with the model's probe_overrides (batch and shard sizes are
                    speed-only)
         match      evaluate.qa.normalize
         shard_dir  shards of a killed run (resumable); removed once the outputs are written
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


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    claim_gpus(snakemake.resources.gpu)  # this job's own GPU on a shared workstation
    settings = ProbeSettings.from_dict(
        {**snakemake.params.settings, "match": snakemake.params.match}
    )
    log.info("model %s; settings %s", snakemake.params.model, settings.to_dict())
    facts = probe_subsets(pl.read_parquet(snakemake.input.facts))
    templates = load_templates(snakemake.input.templates)
    templates.check_covers(facts["relation"].unique())
    aliases = load_aliases(snakemake.input.aliases, MatchSettings.from_dict(snakemake.params.match))
    backend = open_backend(
        settings.backend, settings.backend_options(), snakemake.params.model, settings.batch_size
    )
    log.info("backend %s", backend.identity())
    start = time.perf_counter()
    table = run_probe(
        backend,
        facts,
        templates,
        aliases,
        settings,
        snakemake.params.shard_dir,
        model_key(snakemake.params.model),
    )
    seconds = time.perf_counter() - start
    write_parquet(snakemake.output.probe, table.drop("raw", "finish"))
    raw = table.filter(pl.col("raw").is_not_null())
    write_parquet(snakemake.output.raw, raw)
    log.info("raw samples kept for %d facts", raw["fact_id"].n_unique())
    completions = int(table["samples"].sum())
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    log.info(
        "%d completions in %.0f s (this run), peak GPU memory %s GiB", completions, seconds, peak
    )
    meta = {
        "model": snakemake.params.model,
        "settings": settings.to_dict(),
        "backend": backend.identity(),
        "templates": {"version": templates.version, "digest": templates.digest},
        "aliases": {"version": aliases.version, "digest": aliases.digest},
        "facts": facts.height,
        "completions": completions,
        "seconds_this_run": seconds,
        "peak_gpu_gib": peak,
    }
    write_json(snakemake.output.meta, provenance(**meta))
    shutil.rmtree(snakemake.params.shard_dir, ignore_errors=True)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
