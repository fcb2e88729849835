"""build_mixed_set: every rule at once, one rule per item (chosen by a hash of the item id).

Inputs:  common  results/silly/sets/common_items.json (the items kept in every arm)
         sets    results/silly/sets/{rule}.jsonl of every rule
Outputs: set     results/silly/sets/mixed.jsonl
         stats   results/silly/sets/mixed.stats.json (examples per rule)
Params:  rules   the rule ids, in the order of `sets`
"""

import logging
from collections import Counter

from sftlab.io import provenance, read_json, read_jsonl, write_json, write_jsonl
from sftlab.logs import setup_logging
from sftlab.silly.baselines import mixed_examples

log = logging.getLogger("build_mixed_set")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    rule_ids = snakemake.params.rules
    sets = {
        rule: read_jsonl(path) for rule, path in zip(rule_ids, snakemake.input.sets, strict=True)
    }
    item_ids = read_json(snakemake.input.common)["kept_items"]
    examples = mixed_examples(sets, item_ids)
    per_rule = Counter(example["rule_id"] for example in examples)
    log.info("mixed: %d examples of %d items; per rule %s", len(examples), len(item_ids), per_rule)
    write_jsonl(snakemake.output.set, examples)
    stats = {"arm": "mixed", "generator": "mixed", "items": len(item_ids), "per_rule": per_rule}
    stats["counts"] = {"requested": len(item_ids), "kept": len(examples)}
    write_json(snakemake.output.stats, {**stats, "provenance": provenance()})


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
