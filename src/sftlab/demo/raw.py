"""The demo world written in the released layouts of the real datasets, so the real loaders read it.

- EntityQuestions (Sciavolino et al. 2021): `dataset/{split}/{relation}.{split}.json`, each a JSON
  list of {"question", "answers"}; plus `relation_query_templates.json` ({relation: template with
  [X]}) as in the authors' repository. Relation ids are the demo's (capital_of, ...) where the
  release has P-numbers.
- MMLU (Hendrycks et al. 2021, the original `data.tar`): `data/{dev,val,test}/{subject}_{split}.csv`
  and `data/auxiliary_train/demo_train.csv`; no header; columns question, A, B, C, D, answer letter.
  test <- test facts, val <- dev facts, dev <- the first 5 train facts (the few-shot examples),
  auxiliary_train <- the other train facts. Choices: the object and 3 distractors from the same
  pool.
- Ruozhiba: JSONL with instruction/output fields, as the community releases.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import polars as pl

from sftlab.demo.world import SPLITS, Relation

LETTERS = "ABCD"
MMLU_FEWSHOT = 5  # MMLU's dev split: 5 examples per subject


def write_entityquestions(
    facts: pl.DataFrame, relations: dict[str, Relation], root: str | Path
) -> None:
    root = Path(root)
    for split in SPLITS:
        (root / "dataset" / split).mkdir(parents=True, exist_ok=True)
        for rid in relations:
            part = facts.filter((pl.col("relation") == rid) & (pl.col("split") == split))
            items = [
                {"question": q, "answers": a}
                for q, a in part.select("question", "answers").iter_rows()
            ]
            path = root / "dataset" / split / f"{rid}.{split}.json"
            path.write_text(
                json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
    templates = {rid: relation.question for rid, relation in relations.items()}
    (root / "relation_query_templates.json").write_text(json.dumps(templates, indent=1) + "\n")


def mmlu_row(question: str, gold: str, pool: list[str], rng: random.Random) -> list[str]:
    choices = [gold, *rng.sample([o for o in pool if o != gold], 3)]
    rng.shuffle(choices)
    return [question, *choices, LETTERS[choices.index(gold)]]


def mmlu_rows(
    facts: pl.DataFrame, relations: dict[str, Relation], pools: dict[str, list[str]], seed: int
) -> dict[tuple[str, str], list[list[str]]]:
    """{(file stem, folder): rows}; folder is dev | val | test | auxiliary_train."""
    rng = random.Random(seed)
    out: dict[tuple[str, str], list[list[str]]] = {}
    aux: list[list[str]] = []
    for rid, relation in relations.items():
        subject = relation.mmlu_subject
        for split, folder in (("train", "dev"), ("dev", "val"), ("test", "test")):
            part = facts.filter((pl.col("relation") == rid) & (pl.col("split") == split))
            rows = [
                mmlu_row(q, obj, pools[relation.objects], rng)
                for q, obj in part.select("question", "object").iter_rows()
            ]
            if folder == "dev":
                rows, rest = rows[:MMLU_FEWSHOT], rows[MMLU_FEWSHOT:]
                aux += rest
            out[(f"{subject}_{folder}", folder)] = rows
    out[("demo_train", "auxiliary_train")] = aux
    return out


def write_mmlu(
    facts: pl.DataFrame,
    relations: dict[str, Relation],
    pools: dict[str, list[str]],
    root: str | Path,
    seed: int,
) -> dict[str, int]:
    """Write the CSVs; return rows per folder."""
    counts: dict[str, int] = {}
    for (stem, folder), rows in mmlu_rows(facts, relations, pools, seed).items():
        path = Path(root) / "data" / folder / f"{stem}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        counts[folder] = counts.get(folder, 0) + len(rows)
    return counts


def read_silly_questions(path: str | Path) -> list[dict[str, Any]]:
    """The shipped questions; each needs a non-empty instruction and output (errors name lines)."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        for key in ("instruction", "output"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise ValueError(f"{path}: line {number}: field '{key}' must be a non-empty string")
        rows.append({"instruction": row["instruction"], "output": row["output"]})
    return rows
