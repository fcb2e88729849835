"""Probe templates and alias tables: versioned YAML data files, loaded and checked here.

A template file maps each relation to declarative templates that end where the object would appear,
with one `{subject}` slot ("{subject} was born in"). An alias file maps a canonical answer to other
names of the same entity ("United States of America": [USA, United States]); a gold answer that is
any member of a group is expanded to the whole group, for probing and evaluation alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sftlab.evaluate.match import MatchSettings, normalize
from sftlab.io import read_yaml, stable_id

MIN_ALIAS_CHARS = 3  # containment matching: a 2-letter alias ("US") would hit "bus", "use", ...


class TemplateError(ValueError):
    """A template or alias file that breaks its format; the message names the file and entry."""


@dataclass(frozen=True)
class Templates:
    version: str
    by_relation: dict[str, list[str]]
    digest: str  # content hash, written into every output beside the version

    def ids(self, relation: str) -> list[str]:
        return [template_id(relation, i) for i in range(len(self.by_relation[relation]))]

    def check_covers(self, relations: Iterable[str], minimum: int = 1) -> None:
        missing = sorted(set(relations) - set(self.by_relation))
        if missing:
            raise TemplateError(f"templates {self.version}: no templates for relation(s) {missing}")
        few = {r: len(self.by_relation[r]) for r in relations if len(self.by_relation[r]) < minimum}
        if few:
            raise TemplateError(f"templates {self.version}: fewer than {minimum} templates: {few}")


def template_id(relation: str, index: int) -> str:
    return f"{relation}.{index:02d}"


def render(template: str, subject: str) -> str:
    return template.replace("{subject}", subject)


def load_templates(path: str | Path) -> Templates:
    data = read_yaml(path)
    if not isinstance(data, dict) or "version" not in data or "relations" not in data:
        raise TemplateError(f"{path}: needs top-level keys 'version' and 'relations'")
    by_relation: dict[str, list[str]] = {}
    for relation, templates in data["relations"].items():
        if not isinstance(templates, list) or not templates:
            raise TemplateError(f"{path}: relation {relation}: expected a non-empty list")
        for i, text in enumerate(templates):
            if not isinstance(text, str) or text.count("{subject}") != 1:
                raise TemplateError(
                    f"{path}: {template_id(relation, i)}: needs one {{subject}} slot"
                )
            if text != text.strip():
                raise TemplateError(f"{path}: {template_id(relation, i)}: leading/trailing space")
        if len(set(templates)) != len(templates):
            raise TemplateError(f"{path}: relation {relation}: duplicate templates")
        by_relation[str(relation)] = list(templates)
    return Templates(str(data["version"]), by_relation, stable_id(by_relation))


@dataclass(frozen=True)
class Aliases:
    version: str
    groups: list[list[str]]  # each group: canonical first, then aliases
    digest: str
    settings: MatchSettings = MatchSettings()

    def __post_init__(self):
        index: dict[str, int] = {}
        for g, group in enumerate(self.groups):
            for name in group:
                index.setdefault(normalize(name, self.settings), g)
        object.__setattr__(self, "_index", index)

    def expand(self, answers: Iterable[str]) -> list[str]:
        """The answers followed by every alias of each, without duplicates, order kept."""
        out: list[str] = []
        for answer in answers:
            g = self._index.get(normalize(answer, self.settings))
            for name in [answer] + (self.groups[g] if g is not None else []):
                if name not in out:
                    out.append(name)
        return out


def load_aliases(path: str | Path, settings: MatchSettings | None = None) -> Aliases:
    settings = settings or MatchSettings()
    data = read_yaml(path)
    if not isinstance(data, dict) or "version" not in data:
        raise TemplateError(f"{path}: needs top-level keys 'version' and 'aliases'")
    groups = []
    for canonical, aliases in (data.get("aliases") or {}).items():
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise TemplateError(f"{path}: {canonical}: expected a list of strings")
        group = [str(canonical), *aliases]
        short = [a for a in group if len(normalize(a, settings).replace(" ", "")) < MIN_ALIAS_CHARS]
        if short:
            raise TemplateError(
                f"{path}: {canonical}: alias(es) {short} shorter than {MIN_ALIAS_CHARS} characters "
                "would match inside unrelated words"
            )
        groups.append(group)
    return Aliases(str(data["version"]), groups, stable_id(groups), settings)
