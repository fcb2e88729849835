"""pretrain_demo_model: pretrain the tiny demo Llama on the CPU, then check that it learned the
facts (sftlab.demo.validity).

Inputs:  corpus     results/demo/world/corpus.txt
         tokenizer  results/demo/tokenizer/
         facts      results/demo/world/facts.parquet (with exposure)
         relations  demo.relations (probe phrasings)
Outputs: model      results/demo/model/ (a Hugging Face folder: config, safetensors, tokenizer, chat
                    template, sftlab_pretrain.json)
         summary    results/demo/pretrain_summary.json (run statistics, greedy recall by exposure
                    bucket, Spearman of recall vs exposure)
Params:  seed       demo.seed
         model      demo.model (architecture)
         pretrain   demo.pretrain
         validity   demo.validity less min_spearman (the probe's settings)
"""

import logging
import time

import polars as pl
import torch
from transformers import AutoTokenizer

from sftlab.demo import validity
from sftlab.demo.pretrain import PretrainSettings, pretrain
from sftlab.demo.world import QA_POOL, load_relations
from sftlab.io import provenance, read_yaml, write_json
from sftlab.logs import setup_logging

log = logging.getLogger("pretrain_demo_model")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    torch.set_num_threads(snakemake.threads)
    settings = PretrainSettings(
        seed=snakemake.params.seed, **snakemake.params.model, **snakemake.params.pretrain
    )
    versions = provenance()["packages"]
    log.info("settings: %s; threads %d; versions %s", settings, snakemake.threads, versions)
    with open(snakemake.input.corpus, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    tokenizer = AutoTokenizer.from_pretrained(snakemake.input.tokenizer)
    model, stats = pretrain(lines, tokenizer, settings, snakemake.output.model)
    write_json(f"{snakemake.output.model}/sftlab_pretrain.json", {**stats, **provenance()})

    started = time.perf_counter()
    facts = pl.read_parquet(snakemake.input.facts).filter(pl.col("split") != QA_POOL)
    relations = load_relations(read_yaml(snakemake.input.relations))
    scores = validity.score_facts(facts, relations, model, tokenizer, **snakemake.params.validity)
    table = validity.recall_table(scores)
    summary = {
        **stats,
        "probe": "greedy completion of each fact's 3 corpus prefixes and 1 held-out paraphrase",
        "recall_by_exposure": table.to_dicts(),
        "spearman_exposure_score": validity.spearman(scores, "score"),
        "spearman_exposure_corpus_recall": validity.spearman(scores, "corpus_recall"),
        "probe_wall_s": round(time.perf_counter() - started, 1),
    }
    write_json(snakemake.output.summary, summary)
    log.info("recall by exposure (greedy):\n%s", validity.format_table(table))
    log.info("Spearman(exposure, score) = %.3f", summary["spearman_exposure_score"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
