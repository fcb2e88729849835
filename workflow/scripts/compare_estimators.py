"""compare_estimators: rank agreement of the two memory estimators, sampled R against
teacher-forced R_tf.

Inputs:  probe          results/memory/{model}/probe.parquet (sampled)
         probe_meta     results/memory/{model}/probe.json (its timing)
         probe_tf       results/memory/{model}/probe_tf.parquet (teacher forcing)
         probe_tf_meta  results/memory/{model}/probe_tf.json (its timing)
         templates      memory.templates
Outputs: agreement      results/memory/{model}/estimator_agreement.json (Spearman over all probed
                        facts, seconds per estimator)
Params:  -
"""

import logging

import polars as pl

from sftlab.io import read_json, write_json
from sftlab.logs import setup_logging
from sftlab.memory.estimator import rank_agreement
from sftlab.memory.levels import memory_scores
from sftlab.memory.templates import load_templates

log = logging.getLogger("compare_estimators")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    templates = load_templates(snakemake.input.templates)
    counts = {rel: len(t) for rel, t in templates.by_relation.items()}
    sampled = memory_scores(pl.read_parquet(snakemake.input.probe), counts)
    forced = memory_scores(pl.read_parquet(snakemake.input.probe_tf), counts)
    result = {"model": snakemake.wildcards.model, **rank_agreement(sampled, forced)}
    result["seconds"] = {
        "sample": read_json(snakemake.input.probe_meta)["seconds_this_run"],
        "teacher_forcing": read_json(snakemake.input.probe_tf_meta)["seconds"],
    }
    log.info("estimator agreement: %s", result)
    write_json(snakemake.output.agreement, result)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
