"""Download the EntityQuestions release zip (data.entityquestions.source: url).

Params: `url`. Output: `zip` (resources/entityquestions/dataset.zip, outside results/).
"""

from sftlab.data.download import download
from sftlab.logs import setup_logging


def main(snakemake):
    setup_logging(snakemake.log[0])
    download(snakemake.params.url, snakemake.output.zip)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
