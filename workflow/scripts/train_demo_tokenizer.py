"""train_demo_tokenizer: byte-level BPE on the demo corpus, saved as a transformers tokenizer
folder.

Inputs:  corpus      results/demo/world/corpus.txt (one document per line)
Outputs: tokenizer   results/demo/tokenizer/ (tokenizer.json, tokenizer_config.json,
                     chat_template.jinja)
Params:  vocab_size  demo.tokenizer.vocab_size (BPE merges; the markers come on top)
"""

import logging

from sftlab.demo.tokenizer import train_tokenizer
from sftlab.logs import setup_logging

log = logging.getLogger("train_demo_tokenizer")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    with open(snakemake.input.corpus, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    tokenizer = train_tokenizer(lines, vocab_size=snakemake.params.vocab_size)
    tokenizer.save_pretrained(snakemake.output.tokenizer)
    sample = lines[0]
    log.info(
        "vocabulary %d (BPE %d + markers); '%s' -> %s",
        len(tokenizer),
        snakemake.params.vocab_size,
        sample,
        tokenizer.tokenize(sample),
    )


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
