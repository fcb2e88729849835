"""Alias table hygiene: find aliases that would match another entity's name.

    python -m sftlab.memory.alias_check config/aliases/entityquestions.yaml \
        --objects results/data/entityquestions.parquet      # or an EntityQuestions dataset folder

Matching rule (the same as probing and evaluation, `sftlab.evaluate.match`): a prediction hits
when a normalised gold answer, or any member of its alias group, is contained in the normalised
prediction (word boundaries only with `whole_words`). A gold answer is expanded to its whole group,
so an alias contained in the name of another entity makes answers naming that entity hits:
`America` in "South America", `Korea` in "North Korea", `rock` in "punk rock". Entities are the
dataset's objects and the other groups' names in the table. Such aliases are errors (exit status 1).

A group's canonical name (its key) should be the dataset's own label of the entity, which the
containment rule matches inside longer names with or without any table ("Russia" inside "Russian
Empire"); its conflicts are listed as warnings, the price of the paper's rule rather than of the
table. A canonical name that is not the usual label (the gold is mostly one of its aliases) makes
the table add it to the answers: such a group should go (the shipped table dropped "Republic of
China: [Taiwan]", which made "People's Republic of China" a hit for Taiwan).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sftlab.evaluate.match import normalize
from sftlab.memory.templates import Aliases, load_aliases


@dataclass(frozen=True)
class AliasConflict:
    alias: str  # the group member that matches too much
    group: str  # the group's canonical name
    entity: str  # the other entity's name that contains it

    @property
    def canonical(self) -> bool:
        return self.alias == self.group


def alias_conflicts(aliases: Aliases, objects: Iterable[str]) -> list[AliasConflict]:
    """Every (member, other entity name) pair where the member is contained in the name."""
    settings = aliases.settings
    pad = (lambda s: f" {s} ") if settings.whole_words else (lambda s: s)
    group_of: dict[str, set[int]] = {}
    for g, group in enumerate(aliases.groups):
        for name in group:
            group_of.setdefault(normalize(name, settings), set()).add(g)
    names = {normalize(o, settings): o for o in objects if normalize(o, settings)}
    names.update({normalize(n, settings): n for group in aliases.groups for n in group})
    conflicts = []
    for g, group in enumerate(aliases.groups):
        for member in group:
            needle = pad(normalize(member, settings))
            for norm, original in names.items():
                if g in group_of.get(norm, set()) or needle.strip() == norm:
                    continue
                if needle in pad(norm):
                    conflicts.append(AliasConflict(member, group[0], original))
    return conflicts


def dataset_objects(path: str | Path) -> list[str]:
    """Answer strings of a facts parquet (`answers` column) or of an EntityQuestions JSON folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*.json"))
        if not files:
            raise ValueError(f"{path}: no EntityQuestions *.json files below it")
        return [a for f in files for row in json.loads(f.read_text()) for a in row["answers"]]
    return pl.read_parquet(path, columns=["answers"])["answers"].explode().drop_nulls().to_list()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("aliases", help="alias table YAML (config/aliases/*.yaml)")
    parser.add_argument("--objects", help="facts parquet or EntityQuestions dataset folder")
    args = parser.parse_args(argv)
    objects = dataset_objects(args.objects) if args.objects else []
    conflicts = alias_conflicts(load_aliases(args.aliases), objects)
    errors = [c for c in conflicts if not c.canonical]
    for c in conflicts:
        kind = "warning: canonical name" if c.canonical else "error: alias"
        print(f"{args.aliases}: {c.group}: {kind} '{c.alias}' is contained in '{c.entity}'")
    print(
        f"{len(errors)} alias error(s), {len(conflicts) - len(errors)} canonical warning(s) "
        f"over {len(set(objects))} dataset objects"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
