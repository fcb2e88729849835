"""Normalise Ruozhiba questions (demo, hub, or a local JSON / JSONL file) to the ruozhiba contract.

Inputs: `raw` (the local or demo file; absent for the hub). Params: `settings` (data.ruozhiba),
`on_bad_rows`. Outputs: `table` (results/data/ruozhiba.parquet) and `report` (counts, dropped rows).
"""

import logging

from sftlab.data import RuozhibaSettings, load_ruozhiba
from sftlab.io import write_json, write_parquet
from sftlab.logs import setup_logging


def main(snakemake):
    setup_logging(snakemake.log[0])
    settings = RuozhibaSettings(**snakemake.params.settings)
    logging.info("settings: %s, on_bad_rows: %s", settings, snakemake.params.on_bad_rows)
    table, report = load_ruozhiba(
        settings, snakemake.input.get("raw"), snakemake.params.on_bad_rows
    )
    write_parquet(snakemake.output.table, table)
    write_json(snakemake.output.report, report)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
