"""Normalise EntityQuestions (demo, or the release's folder / zip) to the facts contract.

Inputs: `raw` (folder or zip), `relations` (question templates). Params: `settings`
(data.entityquestions), `on_bad_rows`. Outputs: `table` (parquet, the facts contract) and `report`
(counts per relation and split, unmatched questions, dropped rows).
"""

import logging

from sftlab.data import EntityQuestionsSettings, load_entityquestions
from sftlab.io import write_json, write_parquet
from sftlab.logs import setup_logging


def main(snakemake):
    setup_logging(snakemake.log[0])
    settings = EntityQuestionsSettings(
        **{**snakemake.params.settings, "relations": snakemake.input.relations}
    )
    logging.info("settings: %s, on_bad_rows: %s", settings, snakemake.params.on_bad_rows)
    table, report = load_entityquestions(
        settings, snakemake.input.raw, snakemake.params.on_bad_rows
    )
    write_parquet(snakemake.output.table, table)
    write_json(snakemake.output.report, report)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
