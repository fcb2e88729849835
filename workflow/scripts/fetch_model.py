"""fetch_model: one hub model (pinned revision) downloaded into the Hugging Face cache.

Inputs:  -
Outputs: marker  results/models/{model}.json (hub id, revision, snapshot folder): an input of every
                 GPU job of that model, so they run only after the fetch
Params:  model   the model entry (models.<name>)
"""

import logging

from sftlab.fetch import fetch
from sftlab.io import write_json
from sftlab.logs import setup_logging

log = logging.getLogger("fetch_model")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    entry = snakemake.params.model
    log.info("fetching %s (revision %s)", entry["hub_id"], entry["revision"])
    folder = fetch(entry["name"], entry["hub_id"], entry["revision"])
    files = sorted(p.name for p in folder.iterdir())
    log.info("snapshot %s: %s", folder, ", ".join(files))
    write_json(
        snakemake.output.marker,
        {"hub_id": entry["hub_id"], "revision": entry["revision"], "snapshot": str(folder)},
    )


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
