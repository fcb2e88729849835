"""Rank agreement of the two memory estimators: sampled R against teacher-forced R_tf.

Inputs: probe (sampled), probe_tf (teacher forcing), templates. Output: a JSON with the Spearman
correlation over all probed facts and the time each estimator took.
"""

import logging

import polars as pl

from sftlab.io import read_json, write_json
from sftlab.logs import setup_logging
from sftlab.memory.estimator import rank_agreement
from sftlab.memory.levels import memory_scores
from sftlab.memory.templates import load_templates

log = logging.getLogger("compare_estimators")


def main(smk) -> None:
    setup_logging(smk.log[0])
    templates = load_templates(smk.input.templates)
    counts = {rel: len(t) for rel, t in templates.by_relation.items()}
    sampled = memory_scores(pl.read_parquet(smk.input.probe), counts)
    forced = memory_scores(pl.read_parquet(smk.input.probe_tf), counts)
    result = {"model": smk.wildcards.model, **rank_agreement(sampled, forced)}
    result["seconds"] = {
        "sample": read_json(smk.input.probe_meta)["seconds_this_run"],
        "teacher_forcing": read_json(smk.input.probe_tf_meta)["seconds"],
    }
    log.info("estimator agreement: %s", result)
    write_json(smk.output[0], result)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
