"""generate_rule_set: one rule's SFT set, every training item rewritten in the rule's style.

Inputs:  table      results/silly/items.parquet
         rules      results/silly/rules.yaml (LLM-derived rules only; a file rule comes as a param)
Outputs: set        results/silly/sets/generated/{arm}.jsonl (prompt, completion + provenance)
         failures   results/silly/sets/{arm}.failures.jsonl (LLM failures, wrong answer letters)
         stats      results/silly/sets/{arm}.stats.json (counts; LLM calls, tokens, cost)
Params:  rule       the rule, or null to read it from `rules`
         generator  silly.generator (kind: template or llm)
         llm        config llm (sftlab.llm.job_param: only model and output parameters are the
                    re-run trigger); null for the template generator
         chat       evaluate.mc.chat_template (the set uses chat messages)
"""

import logging

import polars as pl

from sftlab.io import provenance, write_json, write_jsonl
from sftlab.logs import setup_logging
from sftlab.silly import prompts
from sftlab.silly.rewrite import llm_examples, template_examples
from sftlab.silly.rules import load_rule_set

log = logging.getLogger("generate_rule_set")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    arm = snakemake.wildcards.arm
    rule = snakemake.params.rule
    if rule is None:
        rule = next(r for r in load_rule_set(snakemake.input.rules).rules if r.id == arm)
        rule = rule.model_dump()
    kind = snakemake.params.generator["kind"]
    log.info("arm %s, generator %s, rule: %s", arm, kind, rule)
    items = pl.read_parquet(snakemake.input.table).to_dicts()
    stats = {"arm": arm, "rule": rule, "generator": kind, "items": len(items)}
    if kind == "template":
        examples, failures = template_examples(rule, items, snakemake.params.chat), []
        stats["counts"] = {"requested": len(items), "kept": len(examples)}
    else:
        from sftlab.llm import open_client

        with open_client(snakemake.params.llm, logger=log) as client:
            examples, failures, counts = llm_examples(client, rule, items, snakemake.params.chat)
        stats = {**client.stats(), **stats, "counts": counts}
        stats["prompt_version"] = prompts.VERSIONS["rewrite"]
    log.info(
        "%s: %d examples kept of %d items; %s", arm, len(examples), len(items), stats["counts"]
    )
    write_jsonl(snakemake.output.set, examples)
    write_jsonl(snakemake.output.failures, failures)
    write_json(snakemake.output.stats, {**stats, "provenance": provenance()})


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
