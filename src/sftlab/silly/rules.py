"""Explanatory rules: the versioned rules file, LLM derivation from Ruozhiba, and the study's arms.

The workflow's arms must be known when Snakemake parses the Snakefile, before any rule has run, so:
a rules file contributes its own ids; LLM-derived rules get ids r1..rN whatever the LLM calls
them, and carry the short name the consolidation gives them as their label in tables and figures.
"""

from __future__ import annotations

import json
import logging
import random
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sftlab.io import read_yaml
from sftlab.silly import prompts

log = logging.getLogger(__name__)

BASELINES = ("plain", "neutral")  # plain: letter only; neutral: letter + a style-free explanation
MIXED = "mixed"
RESERVED = (*BASELINES, MIXED, "base")  # arm names a rule id may not take
SLUG = r"^[a-z][a-z0-9]*$"  # also a valid {arm} wildcard (common.smk's constraint)
SHORT_NAME_MAX = 24  # characters: fits a heat-map column label at 45 degrees


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=SLUG, description="The {arm} wildcard.")
    name: str = Field(min_length=1)
    short_name: str = Field(
        default="", max_length=SHORT_NAME_MAX, description="Label in tables and figures (else id)."
    )
    definition: str = Field(min_length=1)
    how_to_apply: str = Field(min_length=1)
    origin: Literal["paper-name", "sftlab", "llm", "control"]
    example_ids: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    framings: list[str] = Field(default_factory=list, description="Template generator framings.")

    @property
    def label(self) -> str:
        return self.short_name or self.id


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | str
    rules: list[Rule] = Field(min_length=1)
    provenance: dict[str, Any] = Field(default_factory=dict)

    def check(self) -> RuleSet:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule ids: {duplicates}")
        reserved = sorted(set(ids) & set(RESERVED))
        if reserved:
            raise ValueError(f"rule ids {reserved} are reserved for baselines")
        return self


def load_rule_set(path: str) -> RuleSet:
    """A rules YAML (config/rules/*.yaml or results/silly/rules.yaml), validated."""
    try:
        return RuleSet.model_validate(read_yaml(path)).check()
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


def rule_ids(rules_settings: dict[str, Any]) -> list[str]:
    """The rule arms, known at parse time: the file's ids, or r1..rN for LLM-derived rules."""
    if rules_settings["source"] == "file":
        return [rule.id for rule in load_rule_set(rules_settings["file"]).rules]
    return [f"r{i}" for i in range(1, rules_settings["n"] + 1)]


def study_arms(silly_settings: dict[str, Any]) -> list[str]:
    """Every fine-tuned arm: rules, then baselines, then the optional mixture of all rules."""
    arms = rule_ids(silly_settings["rules"]) + list(silly_settings["baselines"])
    return arms + [MIXED] if silly_settings["mixed"] else arms


class Candidate(BaseModel):
    name: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    how_to_apply: str = Field(min_length=1)
    example_ids: list[str] = Field(default_factory=list)


class Analysis(BaseModel):
    candidates: list[Candidate] = Field(min_length=1)


class ConsolidatedRule(Candidate):
    short_name: str = Field(min_length=1, max_length=SHORT_NAME_MAX)


def consolidation_schema(n: int) -> type[BaseModel]:
    class Consolidation(BaseModel):
        rules: list[ConsolidatedRule] = Field(min_length=n, max_length=n)

    return Consolidation


def analysis_conversations(
    items: list[dict[str, Any]], lenses: list[str], batch_size: int, max_candidates: int = 6
) -> list[list[dict[str, str]]]:
    """One conversation per (lens, batch of items)."""
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    conversations = []
    for lens in lenses:
        for batch in batches:
            listing = "\n".join(
                f"- id {row['item_id']}\n  Q: {row['question'].strip()}\n"
                f"  A: {row['answer'].strip()}"
                for row in batch
            )
            user = prompts.ANALYSIS_USER.format(
                lens=prompts.LENSES[lens], max_candidates=max_candidates, items=listing
            )
            conversations.append(
                [
                    {"role": "system", "content": prompts.ANALYSIS_SYSTEM},
                    {"role": "user", "content": user},
                ]
            )
    return conversations


def consolidation_conversation(candidates: list[Candidate], n: int) -> list[dict[str, str]]:
    listing = json.dumps([c.model_dump() for c in candidates], ensure_ascii=False, indent=1)
    return [
        {"role": "system", "content": prompts.CONSOLIDATION_SYSTEM},
        {"role": "user", "content": prompts.CONSOLIDATION_USER.format(n=n, candidates=listing)},
    ]


def select_items(rows: list[dict[str, Any]], max_items: int | None, seed: int) -> list[dict]:
    """Ruozhiba rows in a seeded order (by item id first, so the input order does not matter)."""
    rows = sorted(rows, key=lambda r: r["item_id"])
    random.Random(seed).shuffle(rows)
    return rows[:max_items] if max_items else rows


def derive_rules(client, rows: list[dict[str, Any]], settings: dict[str, Any]) -> RuleSet:
    """Batched lens analyses, then one consolidation into exactly `n` rules with ids r1..rN.

    `client` is an sftlab.llm.LLMClient; `settings` is config silly.rules. Fails (LLMError) past the
    client's max_failure_rate of analyses, and when the consolidation fails.
    """
    from sftlab.llm import LLMError, check_failure_rate

    items = select_items(rows, settings["max_items"], settings["seed"])
    known_ids = {row["item_id"] for row in items}
    conversations = analysis_conversations(items, settings["lenses"], settings["batch_size"])
    analyses = client.run_json(conversations, Analysis, label="rule analysis")
    check_failure_rate(analyses, client.settings.max_failure_rate)
    candidates = [c for result in analyses if result.ok for c in result.value.candidates]
    log.info("%d candidate rules from %d analyses", len(candidates), len(analyses))
    n = settings["n"]
    (merged,) = client.run_json(
        [consolidation_conversation(candidates, n)], consolidation_schema(n), label="consolidation"
    )
    if not merged.ok:
        raise LLMError(f"rule consolidation failed ({merged.error_kind}): {merged.error}")
    rules = [
        Rule(
            id=f"r{i}",
            origin="llm",
            name=rule.name,
            short_name=rule.short_name,
            definition=rule.definition,
            how_to_apply=rule.how_to_apply,
            example_ids=[e for e in rule.example_ids if e in known_ids],
        )
        for i, rule in enumerate(merged.value.rules, start=1)
    ]
    provenance = {
        "source": "llm",
        "model": client.settings.model,
        "prompt_versions": {k: prompts.VERSIONS[k] for k in ("analysis", "consolidation")},
        "lenses": list(settings["lenses"]),
        "items_analysed": len(items),
        "analyses": len(analyses),
        "analyses_failed": sum(not r.ok for r in analyses),
        "candidates": len(candidates),
    }
    return RuleSet(version=prompts.VERSIONS["consolidation"], rules=rules, provenance=provenance)
