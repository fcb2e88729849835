"""summarise_memory: one tidy table of the memory study, accuracy per (model, train level, n,
seed, test set, test level).

Sets short of n are listed; those with no facts at all, whose runs were skipped, are left out of
the summary. The "macro" row of a run is the unweighted mean over test levels; it names the levels
it covers and flags a missing one.

Inputs:  evals     per-item evaluations (eval_{testset}.parquet), aligned with params.runs
         testsets  the QA items of each run, aligned with params.runs
         reports   set sidecars (sets/L{level}_n{n}_s{seed}.json) of the trained runs
Outputs: summary   results/memory/summary.parquet (with a "macro" row per run)
         csv       results/memory/summary.csv (the same)
         short     results/memory/short_sets.json (sets short of n; `skipped` when empty)
         html      results/memory/summary.html (tables, mean over seeds, for the report)
Params:  runs      model, train_level, n, seed, testset and sidecar of each evaluation
         levels    every memory level (memory.levels.bins)
"""

import logging

import polars as pl

from sftlab.io import read_json, write_csv, write_json, write_parquet, write_text
from sftlab.logs import setup_logging
from sftlab.memory.summary import report_sections, summarise
from sftlab.tables import html_page

log = logging.getLogger("summarise_memory")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    reports = {path: read_json(path) for path in snakemake.input.reports}
    runs, skipped = [], set()
    for run, evaluation, items in zip(
        snakemake.params.runs, snakemake.input.evals, snakemake.input.testsets, strict=True
    ):
        report = reports.get(run["sidecar"]) if run["sidecar"] else None
        if report and report["written"] == 0:  # an empty level: fine-tune and evaluation skipped
            skipped.add((run["model"], run["train_level"], run["n"], 0))
            continue
        runs.append(
            {
                **{k: run[k] for k in ("model", "train_level", "n", "seed", "testset")},
                "n_train": report["written"] if report else 0,
                "short": bool(report and report["short"]),
                "evaluation": pl.read_parquet(evaluation),
                "items": pl.read_parquet(items),
            }
        )
    summary = summarise(runs, snakemake.params.levels)  # the macro flags a level missing from a set
    short = sorted(
        {(r["model"], r["train_level"], r["n"], r["n_train"]) for r in runs if r["short"]} | skipped
    )
    for model, level, n, written in short:
        log.warning("model %s level %s n=%s: set holds only %d facts", model, level, n, written)
    if skipped:
        log.warning(
            "left out (no training facts, runs skipped): %s; memory.train_levels drops them",
            sorted({(m, level) for m, level, _, _ in skipped}),
        )
    headline = summary.filter(pl.col("test_level") == "macro")
    log.info("headline accuracy (macro over test levels):\n%s", headline)
    write_parquet(snakemake.output.summary, summary)
    write_csv(snakemake.output.csv, summary)
    write_text(snakemake.output.html, html_page(report_sections(summary)))
    write_json(
        snakemake.output.short,
        [
            {"model": m, "train_level": lv, "n": n, "written": w, "skipped": w == 0}
            for m, lv, n, w in short
        ],
    )


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
