"""The fast memory estimator: P(object | template) under teacher forcing, one forward pass per
prompt.

Inputs: facts, templates, aliases, the model folder. Output: probe_tf (fact_id, relation,
template_id, prob) and its meta JSON (settings, versions, throughput).
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


def main(smk) -> None:
    setup_logging(smk.log[0])
    claim_gpus(smk.resources.gpu)  # this job's own GPU on a shared workstation
    log.info("model %s; temperature %s", smk.params.model, smk.params.temperature)
    facts = probe_subsets(pl.read_parquet(smk.input.facts))
    templates = load_templates(smk.input.templates)
    templates.check_covers(facts["relation"].unique())
    aliases = load_aliases(smk.input.aliases, MatchSettings.from_dict(smk.params.match))
    model, tokenizer = load_model(smk.params.model)
    total = sum(len(templates.by_relation[r]) for r in facts["relation"].to_list())
    progress = Progress(total, "teacher forcing", unit="sequences", logger=log)
    start = time.perf_counter()
    table = teacher_forcing_probe(
        model,
        tokenizer,
        facts,
        templates,
        aliases,
        smk.params.temperature,
        smk.params.speed["batch_size"],
        progress.update,
    )
    seconds = time.perf_counter() - start
    write_parquet(smk.output.probe, table)
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    meta = {
        "model": smk.params.model,
        "temperature": smk.params.temperature,
        "templates": {"version": templates.version, "digest": templates.digest},
        "prompts": table.height,
        "seconds": seconds,
        "peak_gpu_gib": peak,
    }
    write_json(smk.output.meta, provenance(**meta))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
