"""build_demo_world: the demo world's facts, pretraining corpus and raw datasets in released
layouts.

Inputs:  relations        demo.relations (config/demo/relations.yaml)
         silly_questions  demo.silly_questions (JSONL, instruction/output)
Outputs: facts            results/demo/world/facts.parquet (one row per fact with its exposure)
         corpus           results/demo/world/corpus.txt (one document per line)
         summary          results/demo/world/summary.json
         entityquestions  results/demo/raw/entityquestions/ (the release layout)
         mmlu             results/demo/raw/mmlu/ (the release layout)
         ruozhiba         results/demo/raw/ruozhiba.jsonl
Params:  seed             demo.seed
         world            demo.world
         filler_ratio     demo.corpus.filler_ratio
"""

import logging
from collections import Counter

import polars as pl

from sftlab.demo import corpus, raw, world
from sftlab.io import read_yaml, write_json, write_jsonl, write_parquet, write_text
from sftlab.logs import setup_logging

log = logging.getLogger("build_demo_world")


def main(snakemake) -> None:
    setup_logging(snakemake.log[0])
    params = snakemake.params
    log.info(
        "settings: seed=%s world=%s filler_ratio=%s", params.seed, params.world, params.filler_ratio
    )
    doc = read_yaml(snakemake.input.relations)
    relations = world.load_relations(doc)
    settings = world.WorldSettings(seed=params.seed, **params.world)
    facts, pools = world.build_world(doc, settings)
    lines = corpus.build_corpus(
        facts,
        relations,
        pools,
        doc["filler"],
        params.filler_ratio,
        params.seed,
        qa_formats=doc.get("qa_formats", []),
        qa_repeats=settings.qa_repeats,
    )
    leaks = corpus.question_leaks(lines, facts)
    if leaks:
        raise ValueError(
            f"corpus states {len(leaks)} tested question(s) as QA text, e.g. {leaks[0]!r}"
        )

    write_parquet(snakemake.output.facts, facts)
    write_text(snakemake.output.corpus, "\n".join(lines) + "\n")
    raw.write_entityquestions(facts, relations, snakemake.output.entityquestions)
    mmlu_counts = raw.write_mmlu(facts, relations, pools, snakemake.output.mmlu, params.seed)
    silly = raw.read_silly_questions(snakemake.input.silly_questions)
    write_jsonl(snakemake.output.ruozhiba, silly)

    exposure = facts.filter(pl.col("split") != world.QA_POOL)["exposure"]
    summary = {
        "relations_version": doc["version"],
        "seed": params.seed,
        "facts": facts.height,
        "facts_per_split": dict(Counter(facts["split"].to_list())),
        "exposure": {  # of the tested facts (train, dev, test)
            "mean": round(float(exposure.mean()), 2),
            "median": float(exposure.median()),
            "max": int(exposure.max()),
            "unseen_share": round(float((exposure == 0).mean()), 3),
        },
        "corpus_documents": len(lines),
        "qa_documents": int((facts["split"] == world.QA_POOL).sum()) * settings.qa_repeats,
        "tested_questions_in_corpus": len(leaks),
        "mmlu_rows": mmlu_counts,
        "silly_questions": len(silly),
        "pool_sizes": {name: len(names) for name, names in pools.items()},
    }
    write_json(snakemake.output.summary, summary)
    log.info("world: %s", summary)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
