"""summarise_silly: per model, arm and subject/category, the accuracy delta to the plain baseline.

Inputs:  runs         results/runs/silly/{model}/{arm}_s{seed}/mmlu.parquet (+ plain, base_s0)
         rules        results/silly/rules.yaml (rule names and origins)
         sets         results/silly/sets/{arm}.jsonl of every arm
         common       results/silly/sets/common_items.json: every arm must have trained on the
                      common items (checked)
Outputs: deltas       results/silly/deltas.parquet (sftlab.silly.summary.DELTA_SCHEMA)
         csv          results/silly/deltas.csv (the same)
         consistency  results/silly/consistency.csv (shared subject effect of the rules, p)
         html         results/silly/deltas.html (the tables of both, for the report)
Params:  runs         model, arm, seed of each of `runs`, in order
         arms         the arms, in the order of `sets`
         rule_arms    the rule ids (the arms the consistency compares)
         summary      silly.summary (bootstrap settings)
"""

import logging

import polars as pl

from sftlab.io import read_json, read_jsonl, write_csv, write_parquet, write_text
from sftlab.logs import setup_logging
from sftlab.silly.align import check_same_items
from sftlab.silly.prompts import NEUTRAL_RULE
from sftlab.silly.rules import load_rule_set
from sftlab.silly.summary import consistency, report_sections, summarise
from sftlab.tables import html_page

log = logging.getLogger("summarise_silly")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    settings = snakemake.params.summary
    log.info("summary settings: %s", settings)
    set_files = dict(zip(snakemake.params.arms, snakemake.input.sets, strict=True))
    item_ids = {
        arm: [row["item_id"] for row in read_jsonl(path)] for arm, path in set_files.items()
    }
    check_same_items(item_ids, read_json(snakemake.input.common)["kept_items"], set_files)
    frames = [
        pl.read_parquet(path, columns=["item_id", "subject", "category", "correct"]).with_columns(
            pl.lit(run["model"]).alias("model"),
            pl.lit(run["arm"]).alias("arm"),
            pl.lit(run["seed"]).cast(pl.Int64).alias("seed"),
        )
        for path, run in zip(snakemake.input.runs, snakemake.params.runs, strict=True)
    ]
    rules = {
        r.id: {"name": r.name, "label": r.label, "origin": r.origin}
        for r in load_rule_set(snakemake.input.rules).rules
    }
    rules["neutral"] = {"name": NEUTRAL_RULE["name"], "label": "neutral", "origin": "control"}
    rules["mixed"] = {"name": "All rules mixed", "label": "mixed", "origin": "control"}
    deltas = summarise(
        pl.concat(frames), rules, n_boot=settings["bootstrap"], seed=settings["seed"],
        alpha=settings["alpha"],
    )  # fmt: skip
    shares = consistency(
        deltas, snakemake.params.rule_arms, seed=settings["seed"], alpha=settings["alpha"]
    )
    overall = deltas.filter((pl.col("level") == "all") & pl.col("seed").is_null())
    for row in overall.iter_rows(named=True):
        log.info(
            "%s %s: delta %+.4f [%+.4f, %+.4f] p=%.3g", row["model"], row["arm"], row["delta"],
            row["ci_low"], row["ci_high"], row["p"],
        )  # fmt: skip
    log.info("consistency: %s", shares.to_dicts())
    write_parquet(snakemake.output.deltas, deltas)
    write_csv(snakemake.output.csv, deltas)
    write_csv(snakemake.output.consistency, shares)
    write_text(snakemake.output.html, html_page(report_sections(deltas, shares)))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
