"""Normalise MMLU (demo, hub or local copy) to results/data/mmlu.parquet.

Inputs: `raw` (the local copy or demo folder; absent for the hub). Params: `settings` (data.mmlu),
`on_bad_rows`. Outputs: `table` (parquet, the mmlu contract) and `report` (counts, dropped rows).
"""

import logging

from sftlab.data import MmluSettings, load_mmlu
from sftlab.io import write_json, write_parquet
from sftlab.logs import setup_logging


def main(snakemake):
    setup_logging(snakemake.log[0])
    settings = MmluSettings(**snakemake.params.settings)
    logging.info("settings: %s, on_bad_rows: %s", settings, snakemake.params.on_bad_rows)
    table, report = load_mmlu(settings, snakemake.input.get("raw"), snakemake.params.on_bad_rows)
    write_parquet(snakemake.output.table, table)
    write_json(snakemake.output.report, report)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
