"""fetch_model: download one hub model (pinned revision) into the Hugging Face cache.

Params: model (the model entry). Output: marker, JSON with the hub id, revision and snapshot folder,
an input of every GPU job of that model, so they run only after the fetch.
"""

import logging

from sftlab.fetch import fetch
from sftlab.io import write_json
from sftlab.logs import setup_logging


def main(smk) -> None:
    setup_logging(smk.log[0])
    entry = smk.params.model
    logging.info("fetching %s (revision %s)", entry["hub_id"], entry["revision"])
    folder = fetch(entry["name"], entry["hub_id"], entry["revision"])
    files = sorted(p.name for p in folder.iterdir())
    logging.info("snapshot %s: %s", folder, ", ".join(files))
    write_json(
        smk.output.marker,
        {"hub_id": entry["hub_id"], "revision": entry["revision"], "snapshot": str(folder)},
    )


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
