"""prepare_ruozhiba: Ruozhiba questions (demo, hub, or a local JSON / JSONL file) normalised to the
ruozhiba contract.

Inputs:  raw          the local or demo file (absent for the hub)
Outputs: table        results/data/ruozhiba.parquet (the ruozhiba contract)
         report       results/data/ruozhiba.report.json (counts, dropped rows)
Params:  settings     data.ruozhiba
         on_bad_rows  data.on_bad_rows
"""

import logging

from sftlab.data import RuozhibaSettings, load_ruozhiba
from sftlab.io import write_json, write_parquet
from sftlab.logs import setup_logging

log = logging.getLogger("prepare_ruozhiba")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    settings = RuozhibaSettings(**snakemake.params.settings)
    log.info("settings: %s, on_bad_rows: %s", settings, snakemake.params.on_bad_rows)
    table, report = load_ruozhiba(
        settings, snakemake.input.get("raw"), snakemake.params.on_bad_rows
    )
    write_parquet(snakemake.output.table, table)
    write_json(snakemake.output.report, report)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
