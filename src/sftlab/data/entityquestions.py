"""EntityQuestions to the normalised fact table.

Columns: fact_id, relation, subject, question, answers, split, domain. The release
(`dataset.zip`, or its unpacked `dataset/` folder) holds `dataset/{split}/{relation}.{split}.json`,
each a JSON list of {"question", "answers"}. It has no subject field: the subject is recovered by
matching the question against the relation's question template from the relations file
("Where was [X] born?" -> `^Where was (.+) born\\?$`). The relation comes from the file name, so
relations sharing a template (P131, P276) are no problem.

Questions that do not match their template are expected in real data (odd spacing, hand-edited
releases, a template file that drifted from the data). They are not bad rows: they stay out of the
table whatever `on_bad_rows` says, and are counted per relation and split, with examples, in the
report and the log. Malformed records (no question, answers not a list of strings) follow
`on_bad_rows`.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sftlab.data import schemas, sources
from sftlab.io import read_yaml

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
SLOT = "[X]"
RELEASE_URL = "https://nlp.cs.princeton.edu/projects/entity-questions/dataset.zip"
# the largest released relation file (P17 train) is a few MB; 64 MiB refuses a zip bomb's member
# before it is inflated into memory
MAX_MEMBER_BYTES = 64 << 20
UNMATCHED_EXAMPLES = 3  # quoted per relation in the report


@dataclass
class EntityQuestionsSettings:
    """The `data.entityquestions` config section (keys documented in data.schema.yaml)."""

    source: str = "path"
    path: str | None = None
    url: str = RELEASE_URL
    sha256: str | None = None  # the download rule checks it; the loader reads what was kept
    relations: str = "config/relations/entityquestions.yaml"
    in_domain: list[str] | None = None
    ood: list[str] | None = None
    splits: list[str] = field(default_factory=lambda: list(SPLITS))


@dataclass(frozen=True)
class Relation:
    id: str
    question: str
    domain: str | None

    @property
    def pattern(self) -> re.Pattern[str]:
        return template_pattern(self.question)


def template_pattern(template: str) -> re.Pattern[str]:
    """The regex of a question template: `[X]` captures the subject, the rest is literal.

    Whitespace runs match any whitespace run, and the final "?" is optional.
    """
    if template.count(SLOT) != 1:
        raise ValueError(f"question template {template!r}: needs exactly one {SLOT} slot")
    text = template.strip()
    tail_q = text.endswith("?")
    text = text.removesuffix("?").rstrip()

    def literal(part: str) -> str:
        return r"\s+".join(re.escape(word) for word in part.split(" "))

    before, after = text.split(SLOT)
    regex = literal(before) + "(.+?)" + literal(after) + (r"\s*\??" if tail_q else "")
    return re.compile(r"^\s*" + regex + r"\s*$", re.DOTALL)


def match_subject(pattern: re.Pattern[str], question: str) -> str | None:
    found = pattern.match(question)
    if not found:
        return None
    subject = found.group(1).strip()
    return subject or None


def read_relations(path: str | Path) -> dict[str, Relation]:
    """The relations file: `relations: {id: {question: "..[X]..", domain: in|ood|null, ...}}`."""
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("relations"), dict):
        raise ValueError(f"{path}: expected a top-level 'relations' mapping")
    relations = {}
    for rel_id, entry in data["relations"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("question"), str):
            raise ValueError(f"{path}: relations.{rel_id}.question: expected a template string")
        try:
            template_pattern(entry["question"])
        except ValueError as err:
            raise ValueError(f"{path}: relations.{rel_id}.question: {err}") from None
        relations[str(rel_id)] = Relation(str(rel_id), entry["question"], entry.get("domain"))
    return relations


def select_relations(
    settings: EntityQuestionsSettings, relations: dict[str, Relation]
) -> dict[str, str]:
    """relation id -> 'in' | 'ood'; lists from the config, else the file's `domain` fields."""
    in_domain = settings.in_domain
    if in_domain is None:
        in_domain = [r.id for r in relations.values() if r.domain == "in"]
    ood = settings.ood
    if ood is None:
        ood = [r.id for r in relations.values() if r.domain == "ood"]
    both = sorted(set(in_domain) & set(ood))
    if both:
        raise ValueError(f"data.entityquestions: relation(s) both in_domain and ood: {both}")
    chosen = {**{r: "in" for r in in_domain}, **{r: "ood" for r in ood}}
    unknown = [r for r in chosen if r not in relations]
    if unknown:
        raise ValueError(
            f"data.entityquestions: relation(s) {unknown} have no question template in "
            f"{settings.relations}"
        )
    if not chosen:
        raise ValueError("data.entityquestions: no relations selected (in_domain and ood empty)")
    return chosen


class Release:
    """The released files: the zip, or a folder (`<root>/dataset/{split}/` or `<root>/{split}/`)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.zip: zipfile.ZipFile | None = None
        if self.root.is_file() and zipfile.is_zipfile(self.root):
            self.zip = zipfile.ZipFile(self.root)
            self.names = set(self.zip.namelist())
        elif self.root.is_dir():
            self.base = self.root / "dataset" if (self.root / "dataset").is_dir() else self.root
        else:
            raise schemas.DataSourceError(f"{self.root}: EntityQuestions folder or zip not found")

    def member(self, relation: str, split: str) -> str:
        """The name (zip member or file path) of one relation's split file."""
        tail = f"{split}/{relation}.{split}.json"
        if self.zip is not None:
            for name in (f"dataset/{tail}", tail):
                if name in self.names:
                    return name
            return f"dataset/{tail}"
        return str(self.base / tail)

    def exists(self, relation: str, split: str) -> bool:
        name = self.member(relation, split)
        return name in self.names if self.zip is not None else Path(name).is_file()

    def records(self, relation: str, split: str) -> tuple[str, list[Any]]:
        name = self.member(relation, split)
        label = f"{self.root}:{name}" if self.zip is not None else name
        if not self.exists(relation, split):
            raise schemas.DataSourceError(
                f"{label}: missing file for relation {relation} split {split} "
                "(is the relation listed in data.entityquestions by mistake?)"
            )
        if self.zip is not None:
            size = self.zip.getinfo(name).file_size  # zipfile never inflates past this size
            if size > MAX_MEMBER_BYTES:
                raise schemas.DataSourceError(
                    f"{label}: {size} bytes unpacked, over the {MAX_MEMBER_BYTES}-byte limit for "
                    "one relation file (a damaged or hostile zip?)"
                )
            data = self.zip.read(name)
        else:
            data = Path(name).read_bytes()
        return label, sources.parse_json_records(sources.decode_text(data, label), label)


def input_files(settings: EntityQuestionsSettings, root: str | Path) -> list[str]:
    """Files Snakemake should watch: the zip, or each relation x split file of the folder."""
    root = Path(root)
    if not root.is_dir():
        return [str(root)]
    try:
        chosen = select_relations(settings, read_relations(settings.relations))
    except (OSError, ValueError):
        return [str(root)]  # the job itself reports the problem in full
    release = Release(root)
    return [release.member(rel, split) for rel in chosen for split in settings.splits]


def normalise_records(
    records: list[Any], relation: Relation, *, split: str, domain: str, where: str, drops
) -> tuple[list[dict[str, Any]], list[str]]:
    """Contract rows of one file, and the questions that did not match the template."""
    pattern = relation.pattern
    rows, unmatched = [], []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            drops.bad(where, number, "question", f"expected an object, got {type(record).__name__}")
            continue
        try:
            question = schemas.require_str(record, "question")
        except (KeyError, TypeError, ValueError) as err:
            drops.bad(where, number, "question", str(err.args[0]))
            continue
        try:
            answers = schemas.require_str_list(record, "answers")
        except (KeyError, TypeError, ValueError) as err:
            drops.bad(where, number, "answers", str(err.args[0]))
            continue
        subject = match_subject(pattern, question)
        if subject is None:
            unmatched.append(question)
            continue
        rows.append(
            {
                "relation": relation.id,
                "subject": subject,
                "question": question,
                "answers": answers,
                "split": split,
                "domain": domain,
            }
        )
    return rows, unmatched


def load_entityquestions(
    settings: EntityQuestionsSettings, root: str | Path, on_bad_rows: str = "error"
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The normalised fact table and its report (counts and unmatched questions per relation)."""
    relations = read_relations(settings.relations)
    chosen = select_relations(settings, relations)
    for split in settings.splits:
        if split not in SPLITS:
            raise ValueError(
                f"data.entityquestions.splits: unknown split {split!r} (known: {SPLITS})"
            )
    release = Release(root)
    drops = schemas.DropLog(on_bad_rows)
    rows: list[dict[str, Any]] = []
    unmatched: dict[str, dict[str, Any]] = {}
    for rel_id, domain in chosen.items():
        for split in settings.splits:
            where, records = release.records(rel_id, split)
            found, missed = normalise_records(
                records, relations[rel_id], split=split, domain=domain, where=where, drops=drops
            )
            rows += found
            if missed:
                entry = unmatched.setdefault(rel_id, {"total": 0, "per_split": {}, "examples": []})
                entry["total"] += len(missed)
                entry["per_split"][split] = len(missed)
                entry["examples"] += missed[: UNMATCHED_EXAMPLES - len(entry["examples"])]
                log.warning(
                    "%s: %d of %d questions do not match %r (e.g. %r)",
                    where,
                    len(missed),
                    len(records),
                    relations[rel_id].question,
                    missed[0],
                )
    duplicates = schemas.assign_ids(
        rows, "fact_id", ("split", "relation", "subject", "question", "answers")
    )
    frame = schemas.to_frame(rows, schemas.ENTITYQUESTIONS)
    drops.log_summary("entityquestions")
    if unmatched:
        per_relation = ", ".join(f"{rel}: {e['total']}" for rel, e in unmatched.items())
        log.warning("entityquestions: questions not matching their template (%s)", per_relation)
    log.info("entityquestions: %d facts, %s", frame.height, dict(Counter(frame["split"].to_list())))
    report = {
        "dataset": "entityquestions",
        "source": settings.source,
        "location": str(root),
        "relations_file": str(settings.relations),
        "relations_version": (read_yaml(settings.relations) or {}).get("version"),
        "domains": chosen,
        "rows": frame.height,
        "rows_per_split_domain": schemas.count_by(frame, ["split", "domain"]),
        "rows_per_relation_split": schemas.count_by(frame, ["relation", "split"]),
        "unmatched_questions": sum(e["total"] for e in unmatched.values()),
        "unmatched_per_relation": unmatched,
        "duplicate_facts": duplicates,
        **drops.summary(),
    }
    return frame, report
