"""prepare_entityquestions: EntityQuestions (demo, or the release's folder / zip) normalised to the
facts contract.

Inputs:  raw          the release folder or zip (data.entityquestions.source)
         relations    data.entityquestions.relations (question templates)
Outputs: table        results/data/entityquestions.parquet (the facts contract)
         report       results/data/entityquestions.report.json (counts per relation and split,
                      unmatched questions, dropped rows)
Params:  settings     data.entityquestions
         on_bad_rows  data.on_bad_rows
"""

import logging

from sftlab.data import EntityQuestionsSettings, load_entityquestions
from sftlab.io import write_json, write_parquet
from sftlab.logs import setup_logging

log = logging.getLogger("prepare_entityquestions")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    settings = EntityQuestionsSettings(
        **{**snakemake.params.settings, "relations": snakemake.input.relations}
    )
    log.info("settings: %s, on_bad_rows: %s", settings, snakemake.params.on_bad_rows)
    table, report = load_entityquestions(
        settings, snakemake.input.raw, snakemake.params.on_bad_rows
    )
    write_parquet(snakemake.output.table, table)
    write_json(snakemake.output.report, report)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
