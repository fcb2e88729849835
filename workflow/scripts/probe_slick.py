"""probe_slick: SliCK categories (arXiv 2405.05904) of every probed fact, from random few-shot
prompts.

Inputs:  facts     results/data/entityquestions.parquet (the dev split supplies the exemplars)
         aliases   memory.aliases
         model     the model folder (local models) or the hub model's fetch marker
Outputs: slick     results/memory/{model}/slick.parquet (fact_id, greedy/sample correct counts,
                   p_greedy, p_sample, slick category)
         meta      results/memory/{model}/slick.json (settings, categories, seconds)
Params:  model     the model entry (models.<name>)
         settings  memory.slick (batch_size is speed-only; `enabled` is the rule's switch)
         match     evaluate.qa.normalize
"""

import functools
import logging
import time

import polars as pl

from sftlab.evaluate.match import MatchSettings
from sftlab.gpu_slots import claim_gpus
from sftlab.io import provenance, write_json, write_parquet
from sftlab.lm.generate import generate
from sftlab.lm.load import load_model
from sftlab.logs import Progress, setup_logging
from sftlab.memory.levels import probe_subsets
from sftlab.memory.slick import SlickSettings, run_slick
from sftlab.memory.templates import load_aliases

log = logging.getLogger("probe_slick")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    claim_gpus(snakemake.resources.gpu)  # this job's own GPU on a shared workstation
    settings = SlickSettings(
        **{k: v for k, v in snakemake.params.settings.items() if k != "enabled"}
    )
    log.info("model %s; settings %s", snakemake.params.model, settings.to_dict())
    all_facts = pl.read_parquet(snakemake.input.facts)
    facts = probe_subsets(all_facts)
    dev = all_facts.filter(pl.col("split") == "dev")
    match = MatchSettings.from_dict(snakemake.params.match)
    aliases = load_aliases(snakemake.input.aliases, match)
    answers = {r["fact_id"]: aliases.expand(r["answers"]) for r in facts.iter_rows(named=True)}
    model, tokenizer = load_model(snakemake.params.model)
    progress = Progress(2 * facts.height * settings.prompts, "slick", unit="prompts", logger=log)
    start = time.perf_counter()
    table = run_slick(
        functools.partial(generate, model, tokenizer),
        facts,
        dev,
        answers,
        settings,
        match,
        progress.update,
    )
    write_parquet(snakemake.output.slick, table)
    counts = dict(table.group_by("slick").len().iter_rows())
    log.info("SliCK categories: %s", counts)
    meta = {
        "settings": settings.to_dict(),
        "categories": counts,
        "seconds": time.perf_counter() - start,
    }
    write_json(snakemake.output.meta, provenance(**meta))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
