"""probe_teacher_forcing: the fast memory estimator, P(object | template) under teacher forcing,
one forward pass per prompt.

Inputs:  facts        results/data/entityquestions.parquet
         templates    memory.templates
         aliases      memory.aliases
         model        the model folder (local models) or the hub model's fetch marker
Outputs: probe        results/memory/{model}/probe_tf.parquet (fact_id, relation, template_id, prob)
         meta         results/memory/{model}/probe_tf.json (settings, versions, throughput)
Params:  model        the model entry (models.<name>)
         temperature  memory.probe.temperature
         speed        batch_size (memory.probe.batch_size; speed-only)
         match        evaluate.qa.normalize
"""

import logging
import time

import polars as pl
import torch

from sftlab.evaluate.match import MatchSettings
from sftlab.gpu_slots import claim_gpus
from sftlab.io import provenance, write_json, write_parquet
from sftlab.lm.load import load_model
from sftlab.logs import Progress, setup_logging
from sftlab.memory.estimator import teacher_forcing_probe
from sftlab.memory.levels import probe_subsets
from sftlab.memory.templates import load_aliases, load_templates

log = logging.getLogger("probe_teacher_forcing")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    claim_gpus(snakemake.resources.gpu)  # this job's own GPU on a shared workstation
    log.info("model %s; temperature %s", snakemake.params.model, snakemake.params.temperature)
    facts = probe_subsets(pl.read_parquet(snakemake.input.facts))
    templates = load_templates(snakemake.input.templates)
    templates.check_covers(facts["relation"].unique())
    aliases = load_aliases(snakemake.input.aliases, MatchSettings.from_dict(snakemake.params.match))
    model, tokenizer = load_model(snakemake.params.model)
    total = sum(len(templates.by_relation[r]) for r in facts["relation"].to_list())
    progress = Progress(total, "teacher forcing", unit="sequences", logger=log)
    start = time.perf_counter()
    table = teacher_forcing_probe(
        model,
        tokenizer,
        facts,
        templates,
        aliases,
        snakemake.params.temperature,
        snakemake.params.speed["batch_size"],
        progress.update,
    )
    seconds = time.perf_counter() - start
    write_parquet(snakemake.output.probe, table)
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    meta = {
        "model": snakemake.params.model,
        "temperature": snakemake.params.temperature,
        "templates": {"version": templates.version, "digest": templates.digest},
        "prompts": table.height,
        "seconds": seconds,
        "peak_gpu_gib": peak,
    }
    write_json(snakemake.output.meta, provenance(**meta))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
