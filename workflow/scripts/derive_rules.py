"""derive_rules: the study's explanatory rules, from a versioned rules file or derived by an LLM.

Inputs:  file      silly.rules.file (rules.source: file), or
         ruozhiba  results/data/ruozhiba.parquet (rules.source: llm)
Outputs: rules     results/silly/rules.yaml (rules + provenance)
         stats     results/silly/rules.stats.json (LLM calls, tokens, cost; or counts)
Params:  rules     silly.rules
         llm       config llm (sftlab.llm.job_param: only model and output parameters are the
                   re-run trigger); null for the file source
"""

import logging

import polars as pl

from sftlab.io import file_sha256, provenance, write_json, write_yaml
from sftlab.logs import setup_logging
from sftlab.silly.rules import derive_rules, load_rule_set

log = logging.getLogger("derive_rules")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    settings = snakemake.params.rules
    log.info("rules settings: %s", settings)
    if settings["source"] == "file":
        rule_set = load_rule_set(snakemake.input.file)
        rule_set.provenance = {
            "source": "file",
            "file": snakemake.input.file,
            "sha256": file_sha256(snakemake.input.file),
        }
        stats = {"source": "file", "rules": len(rule_set.rules)}
    else:
        from sftlab.llm import open_client

        rows = pl.read_parquet(snakemake.input.ruozhiba).to_dicts()
        with open_client(snakemake.params.llm, logger=log) as client:
            rule_set = derive_rules(client, rows, settings)
        stats = {**client.stats(), "source": "llm", "rules": len(rule_set.rules)}
        rule_set.provenance["cache"] = {k: stats[k] for k in ("cache_hits", "requests_sent")}
    rule_set.provenance.update(provenance())
    for rule in rule_set.rules:
        log.info("rule %s: %s (%s)", rule.id, rule.name, rule.origin)
    write_yaml(snakemake.output.rules, rule_set.model_dump())
    write_json(snakemake.output.stats, stats)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
