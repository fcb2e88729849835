"""Every settings class of sftlab restates the schema's defaults exactly (issue 14, item 2).

workflow/schemas/ owns the defaults. A class that restates one must restate it equal, or code run
outside the workflow (a bench, a test, a notebook) computes with other settings than a workflow job.
Classes are found by name (`class ...Settings` anywhere in src/sftlab), so a new one fails here
until it is mapped to its config section below; functions whose keyword defaults a section fills
are listed by hand.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from sftlab.config import validate_config

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


@dataclass(frozen=True)
class Mirror:
    """Where the fields of one settings holder live in the config."""

    sections: tuple[str, ...]  # dotted sections whose keys are fields of the holder
    keys: dict[str, str] = field(default_factory=dict)  # field -> dotted key outside `sections`
    not_fields: tuple[str, ...] = ()  # section keys that select rules, not fields of the holder
    unset: tuple[str, ...] = ()  # fields that no config key sets
    # fields left empty (or None) that hand their options to a holder with its own entry here
    passed_on: tuple[str, ...] = ()
    partial: bool = False  # the holder overlays a few keys of the section on a library's defaults


MIRRORS = {
    "sftlab.evaluate.match:MatchSettings": Mirror(("evaluate.qa.normalize",)),
    "sftlab.evaluate.qa:QASettings": Mirror(
        ("evaluate.qa",), keys={"batch_size": "evaluate.batch_size"}
    ),
    "sftlab.evaluate.mc:MCSettings": Mirror(
        ("evaluate.mc",),
        keys={"batch_size": "evaluate.batch_size"},
        unset=("fewshot_split", "eval_split"),  # the MMLU layout's, not a choice
    ),
    "sftlab.llm.settings:LLMSettings": Mirror(("llm",)),
    "sftlab.data.mmlu:MmluSettings": Mirror(("data.mmlu",)),
    "sftlab.data.entityquestions:EntityQuestionsSettings": Mirror(("data.entityquestions",)),
    "sftlab.data.ruozhiba:RuozhibaSettings": Mirror(("data.ruozhiba",)),
    "sftlab.demo.world:WorldSettings": Mirror(("demo.world",), keys={"seed": "demo.seed"}),
    "sftlab.demo.pretrain:PretrainSettings": Mirror(
        ("demo.model", "demo.pretrain"), keys={"seed": "demo.seed"}
    ),
    "sftlab.memory.slick:SlickSettings": Mirror(("memory.slick",), not_fields=("enabled",)),
    "sftlab.memory.probe:ProbeSettings": Mirror(
        ("memory.probe",),
        not_fields=("estimator", "compare_estimators"),
        passed_on=("match", "vllm", "server"),
    ),
    # the holders ProbeSettings passes its backend options on to
    "sftlab.memory.backends.vllm:VLLMBackend": Mirror(("memory.probe.vllm",), passed_on=("match",)),
    "sftlab.memory.backends.server:ServerBackend": Mirror(
        ("memory.probe.server",), passed_on=("match",)
    ),
    "sftlab.train.settings:SFT_DEFAULTS": Mirror(
        ("train.sft",), unset=("report_to", "disable_tqdm"), partial=True
    ),
    # functions a rule calls with a config section as keyword arguments
    "sftlab.demo.tokenizer:train_tokenizer": Mirror(("demo.tokenizer",)),
    "sftlab.demo.validity:score_facts": Mirror(("demo.validity",), unset=("seed",)),
    "sftlab.silly.summary:summarise": Mirror(
        (),
        keys={
            "n_boot": "silly.summary.bootstrap",
            "seed": "silly.summary.seed",
            "alpha": "silly.summary.alpha",
        },
        unset=("per_seed",),
    ),
    "sftlab.silly.summary:consistency": Mirror(
        (), keys={"seed": "silly.summary.seed", "alpha": "silly.summary.alpha"}, unset=("n_perm",)
    ),
}


def discovered() -> set[str]:
    """`module:Name` of every class named ...Settings under src/sftlab."""
    found = set()
    for path in (ROOT / "src" / "sftlab").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT / "src").with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Settings"):
                found.add(f"{module.removesuffix('.__init__')}:{node.name}")
    return found


def holder_defaults(target: str) -> dict[str, Any]:
    """Field -> default of a dataclass, pydantic model, dict or plain class's __init__."""
    module, name = target.split(":")
    holder = getattr(importlib.import_module(module), name)
    if isinstance(holder, dict):
        return dict(holder)
    if dataclasses.is_dataclass(holder):
        out = {}
        for f in dataclasses.fields(holder):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[f.name] = f.default_factory()
        return out
    if isinstance(holder, type) and issubclass(holder, BaseModel):
        return {n: f.default for n, f in holder.model_fields.items()}
    parameters = inspect.signature(holder).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def plain(value: Any) -> Any:
    """Compare as the config holds values: tuples as lists, nested settings as dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def lookup(config: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        config = config[part]
    return config


def mismatches(target: str, mirror: Mirror, config: dict[str, Any]) -> list[str]:
    """One line per disagreement, naming the field, the key and both values."""
    defaults = holder_defaults(target)
    wanted = {}  # field -> config key
    for section in mirror.sections:
        for key in set(lookup(config, section)) - set(mirror.not_fields):
            wanted[key] = f"{section}.{key}"
    wanted.update(mirror.keys)
    for name in mirror.passed_on:
        wanted.pop(name, None)
    problems = []
    for name in mirror.passed_on:
        if defaults.get(name) not in ({}, None):
            problems.append(f"{target}.{name}: passes options on, so its default must be empty")
    for name in sorted(set(mirror.unset) & set(wanted)):
        problems.append(f"{target}.{name}: marked unset, but config key {wanted[name]} holds it")
    fields = set(defaults) - set(mirror.unset) - set(mirror.passed_on)
    if not mirror.partial:
        for name in sorted(set(wanted) - fields):
            problems.append(f"{target}: no field for config key {wanted[name]}")
    for name in sorted(fields - set(wanted)):
        problems.append(f"{target}.{name}: no config key holds this field (mark it unset?)")
    for name in sorted(fields & set(wanted)):
        ours, schema = plain(defaults[name]), lookup(config, wanted[name])
        if ours is None and schema in ({}, []):  # None: the idiom for an empty mutable default
            continue
        if ours != schema:
            problems.append(f"{target}.{name}: default {ours!r}, schema {wanted[name]} {schema!r}")
    return problems


@pytest.fixture(scope="module")
def schema_defaults() -> dict[str, Any]:
    """The configuration an empty config file gets: the schema's defaults only."""
    return validate_config({}, SCHEMA)


def test_every_settings_class_is_mapped_to_its_section():
    assert discovered() <= set(MIRRORS), sorted(discovered() - set(MIRRORS))


@pytest.mark.parametrize("target", sorted(MIRRORS))
def test_defaults_equal_the_schema(target, schema_defaults):
    assert mismatches(target, MIRRORS[target], schema_defaults) == []


def test_a_changed_default_is_caught(schema_defaults):
    changed = validate_config({"memory": {"slick": {"top_k": 41}}}, SCHEMA)
    slick = "sftlab.memory.slick:SlickSettings"
    problems = mismatches(slick, MIRRORS[slick], changed)
    assert problems == [
        "sftlab.memory.slick:SlickSettings.top_k: default 40, schema memory.slick.top_k 41"
    ]
    extra = Mirror(("memory.slick",))  # `enabled` is a section key without a field
    assert "no field for config key memory.slick.enabled" in " ".join(
        mismatches(slick, extra, schema_defaults)
    )
