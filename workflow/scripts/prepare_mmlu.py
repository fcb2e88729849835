"""prepare_mmlu: MMLU (demo, hub or local copy) normalised to the mmlu contract.

Inputs:  raw          the local copy or demo folder (absent for the hub)
Outputs: table        results/data/mmlu.parquet (the mmlu contract)
         report       results/data/mmlu.report.json (counts, dropped rows)
Params:  settings     data.mmlu
         on_bad_rows  data.on_bad_rows
"""

import logging

from sftlab.data import MmluSettings, load_mmlu
from sftlab.io import write_json, write_parquet
from sftlab.logs import setup_logging

log = logging.getLogger("prepare_mmlu")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    settings = MmluSettings(**snakemake.params.settings)
    log.info("settings: %s, on_bad_rows: %s", settings, snakemake.params.on_bad_rows)
    table, report = load_mmlu(settings, snakemake.input.get("raw"), snakemake.params.on_bad_rows)
    write_parquet(snakemake.output.table, table)
    write_json(snakemake.output.report, report)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
