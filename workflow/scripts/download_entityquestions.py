"""download_entityquestions: the EntityQuestions release zip (data.entityquestions.source: url).
The zip reaches its place only whole, intact and matching the digest.

Inputs:  -
Outputs: zip     resources/entityquestions/dataset.zip (outside results/)
Params:  url     data.entityquestions.url
         sha256  data.entityquestions.sha256 (pinned digest, or null)
"""

from sftlab.data.download import download
from sftlab.logs import setup_logging

HINT = (
    "; download it by hand and set data.entityquestions.source: path and "
    "data.entityquestions.path: <the zip>"
)


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    download(snakemake.params.url, snakemake.output.zip, snakemake.params.sha256, hint=HINT)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
