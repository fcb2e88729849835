"""One tidy table of the memory study: accuracy per (model, train level, n, seed, test set, test
level).

Inputs: evals (per-item evaluations, aligned with params.runs), testsets (the QA items of each run),
reports (set sidecars, aligned with the trained runs); params: runs, levels (every memory level).
Outputs: summary (parquet, with a "macro" row per run: the unweighted mean over test levels, which
names the levels it covers and flags a missing one), the same as CSV, the sets that were short of n
(those with no facts at all, whose runs were skipped, are left out of the summary), and html: the
tables (mean over seeds) for the report.
"""

import logging

import polars as pl

from sftlab.io import atomic_path, read_json, write_json, write_parquet
from sftlab.logs import setup_logging
from sftlab.memory.summary import report_sections, summarise
from sftlab.tables import html_page

log = logging.getLogger("summarise_memory")


def main(smk) -> None:
    setup_logging(smk.log[0])
    reports = {path: read_json(path) for path in smk.input.reports}
    runs, skipped = [], set()
    for run, evaluation, items in zip(
        smk.params.runs, smk.input.evals, smk.input.testsets, strict=True
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
    summary = summarise(runs, smk.params.levels)  # the macro flags a level missing from a set
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
    write_parquet(smk.output.summary, summary)
    with atomic_path(smk.output.csv) as tmp:
        summary.write_csv(tmp)
    with atomic_path(smk.output.html) as tmp:
        tmp.write_text(html_page(report_sections(summary)), encoding="utf-8")
    write_json(
        smk.output.short,
        [
            {"model": m, "train_level": lv, "n": n, "written": w, "skipped": w == 0}
            for m, lv, n, w in short
        ],
    )


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
