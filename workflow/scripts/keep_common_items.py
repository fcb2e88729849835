"""keep_common_items: one generated arm restricted to the items every arm rewrote.

Inputs:  set     results/silly/sets/generated/{arm}.jsonl
         common  results/silly/sets/common_items.json (kept_items)
Outputs: set     results/silly/sets/{arm}.jsonl
Params:  -
"""

import logging

from sftlab.io import read_json, read_jsonl, write_jsonl
from sftlab.logs import setup_logging
from sftlab.silly.align import keep

log = logging.getLogger("keep_common_items")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    rows = read_jsonl(snakemake.input.set)
    kept = keep(rows, read_json(snakemake.input.common)["kept_items"])
    log.info("%s: %d of %d generated examples kept", snakemake.wildcards.arm, len(kept), len(rows))
    write_jsonl(snakemake.output.set, kept)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
