"""Strict configuration: JSON-schema validation with defaults and messages that name the key.

The schema lives in workflow/schemas/, one file per section joined by relative `$ref` (inlined on
load). Validation fills defaults in place, then `check_references` verifies what a schema cannot,
such as every model a study names existing in `models`. Both raise `ConfigError` before Snakemake
schedules any job.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema import Draft202012Validator, validators

from sftlab.layout import DATA_USERS, built_by_demo


class ConfigError(ValueError):
    """A configuration problem, with the dotted key path in the message."""


def _load_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_schema(path: str | Path) -> dict[str, Any]:
    """Load the schema, inlining every relative `$ref` to a sibling file.

    One inlined document keeps default-filling uniform (jsonschema switches validator classes
    across referenced resources, which would skip the defaults inside them).
    """
    path = Path(path).resolve()

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                target = load_schema(path.parent / ref)
                target.pop("$schema", None)
                rest = {k: inline(v) for k, v in node.items() if k != "$ref"}
                return {**target, **rest}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(_load_yaml(path))


def _with_defaults(cls: type) -> type:
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(name, _copy(sub["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(cls, {"properties": set_defaults})


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def key_path(path: Iterable[Any]) -> str:
    parts = []
    for part in path:
        parts.append(f"[{part}]" if isinstance(part, int) else f".{part}")
    return "".join(parts).lstrip(".") or "<root>"


def describe(error: jsonschema.ValidationError, prefix: str = "") -> str:
    """One line: the key (under `prefix`), what was expected, what was found."""
    inner = key_path(error.absolute_path)
    where = ".".join(p for p in (prefix, "" if inner == "<root>" else inner) if p) or "<root>"
    kind = error.validator
    if error.schema.get("writeOnly"):  # e.g. llm.api_key_env: a pasted secret is not echoed
        return (
            f"{where}: the value does not match the required form ({kind} {error.validator_value})"
        )
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        name = ".".join(filter(None, [where if where != "<root>" else "", extra[0]]))
        return f"unknown key '{name}' (allowed here: {', '.join(allowed)})"
    if kind == "required":
        return f"{where}: {error.message}"
    if kind == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)
        return f"{where}: expected one of {options}, got {error.instance!r}"
    if kind == "type":
        return f"{where}: expected {error.validator_value}, got {error.instance!r}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{where}: expected {kind} {error.validator_value}, got {error.instance!r}"
    return f"{where}: {error.message}"


def validate_config(config: dict[str, Any], schema_path: str | Path) -> dict[str, Any]:
    """Validate `config` in place against the schema, filling defaults; raise ConfigError."""
    schema = load_schema(schema_path)
    _coerce_strings(config, schema)
    for overrides in _train_overrides(config):  # study train overrides follow the train schema
        _coerce_strings(overrides, schema["properties"]["train"])
    checker = Draft202012Validator(schema)
    errors = sorted(checker.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n".join(f"  - {describe(e)}" for e in _deepest(errors))
        raise ConfigError(f"invalid configuration ({len(errors)} problem(s)):\n{lines}")
    _with_defaults(Draft202012Validator)(schema).validate(config)
    _check_train_overrides(config, schema["properties"]["train"])
    check_references(config)
    return config


def _train_overrides(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The study-level train overrides present: `<study>.train` and `demo.train.<study>`."""
    demo = config.get("demo") if isinstance(config.get("demo"), dict) else {}
    holders = [config.get(study) for study in ("memory", "silly")]
    holders = [(h, "train") for h in holders]
    holders += [(demo.get("train"), study) for study in ("memory", "silly")]
    found = [h.get(key) for h, key in holders if isinstance(h, dict)]
    return [overrides for overrides in found if isinstance(overrides, dict)]


SCALAR_TYPES = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _coerce_strings(node: Any, schema: dict[str, Any]) -> Any:
    """Turn strings into the number, boolean or null the schema asks for, in place.

    Snakemake reads nested `--config` values as strings (`--config 'llm={"concurrency": 64}'` gives
    "64"), and PyYAML reads `3e-4` as a string. A string is only replaced where the schema does not
    allow a string there and the parsed value has an allowed type, so 'ten' still fails by name;
    "null" becomes null where null is allowed.
    """
    if isinstance(node, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in node.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                node[key] = _coerce_strings(value, sub)
        return node
    if isinstance(node, list):
        items = schema.get("items")
        if isinstance(items, dict):
            node[:] = [_coerce_strings(value, items) for value in node]
        return node
    if not isinstance(node, str):
        return node
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        if any(_takes_string(branch, node) for branch in branches):
            return node
        for branch in branches:
            value = _coerce_strings(node, branch)
            if not isinstance(value, str):
                return value
        return node
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "null" in types and node in ("null", "~"):
        return None
    if "string" in types or node in schema.get("enum", []):
        return node
    return _parse_scalar(node, types)


def _takes_string(schema: dict[str, Any], text: str) -> bool:
    types = schema.get("type", [])
    if "string" not in ([types] if isinstance(types, str) else types):
        return False
    return schema.get("const", text) == text and text in schema.get("enum", [text])


def _parse_scalar(text: str, types: list[str]) -> Any:
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        parsed = text
    if any(SCALAR_TYPES.get(t, lambda v: False)(parsed) for t in types):
        return parsed
    if "number" in types:  # PyYAML reads 3e-4 (no dot) as a string
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    return text


def deep_merge(
    base: dict[str, Any], override: dict[str, Any], levels: int | None = None
) -> dict[str, Any]:
    """`override` merged into a copy of `base`: dicts within dicts are merged `levels` deep (None:
    at every depth, as Snakemake merges config files); deeper values are replaced whole."""
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and levels != 0:
            merged[key] = deep_merge(old, value, None if levels is None else levels - 1)
        else:
            merged[key] = value
    return merged


def merge_train(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`train` settings with a study's overrides merged one level deep (sft, lora stay dicts)."""
    return deep_merge(base, override, levels=1)


# CPU threads of a model job (probe, fine-tune, evaluation) outside the demo: Snakemake's `threads`
# (a SLURM job's CPUs unless the rule asks cpus_per_task) and torch's intra-op threads.
MODEL_JOB_THREADS = 2


def model_job_threads(config: dict[str, Any]) -> int:
    """Threads of a model job, from the validated config: demo.job_threads while the demo is on,
    else MODEL_JOB_THREADS.

    Like `study_train`, the demo's value stays under `demo:` so a paper config never inherits it.
    """
    demo = config["demo"]
    return demo["job_threads"] if demo["enabled"] else MODEL_JOB_THREADS


def study_train(config: dict[str, Any], study: str) -> dict[str, Any]:
    """The `train` block a study's fine-tunes receive (train_sft's `train` param).

    `train`, then `demo.train.<study>` only while the demo is enabled, then `<study>.train`. The
    demo's settings for its 2M-parameter model live under `demo:` because Snakemake merges
    --configfile files recursively: as study overrides in config.yaml they reached every paper
    config, which then trained at the demo's learning rate (issue 10).
    """
    demo = config.get("demo", {})
    merged = dict(config.get("train", {}))
    if demo.get("enabled", False):
        merged = merge_train(merged, (demo.get("train") or {}).get(study) or {})
    return merge_train(merged, config.get(study, {}).get("train") or {})


def _check_train_overrides(config: dict[str, Any], train_schema: dict[str, Any]) -> None:
    """Each study's effective `train` block must satisfy the train schema."""
    for study in ("memory", "silly"):
        merged = study_train(config, study)
        errors = list(Draft202012Validator(train_schema).iter_errors(merged))
        if errors:
            lines = "\n".join(f"  - {describe(e, f'{study}.train')}" for e in _deepest(errors))
            raise ConfigError(f"invalid configuration ({len(errors)} problem(s)):\n{lines}")


def _deepest(errors: list[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    """Prefer the most specific sub-error of oneOf/anyOf failures."""
    out = []
    for error in errors:
        if error.context:
            out.append(max(error.context, key=lambda e: len(list(e.absolute_path))))
        else:
            out.append(error)
    return out


def check_references(config: dict[str, Any]) -> None:
    """Cross-key checks a JSON schema cannot express."""
    models = config.get("models", {})
    for name, entry in models.items():
        if not entry.get("path") and not entry.get("hub_id"):
            raise ConfigError(f"models.{name}: needs either 'path' or 'hub_id'")
        if entry.get("path") and entry.get("hub_id"):
            raise ConfigError(f"models.{name}: give 'path' or 'hub_id', not both")
    for study in ("memory", "silly"):
        section = config.get(study, {})
        if not section.get("enabled", False):
            continue
        for i, name in enumerate(section.get("models", [])):
            if name not in models:
                known = ", ".join(sorted(models)) or "none"
                raise ConfigError(f"{study}.models[{i}]: unknown model '{name}' (known: {known})")
    _check_demo_sources(config)
    memory = config.get("memory", {})
    per_model = [k for k in memory.get("probe", {}) if k not in ("estimator", "compare_estimators")]
    for name, override in memory.get("probe_overrides", {}).items():
        if name not in models:
            raise ConfigError(f"memory.probe_overrides.{name}: unknown model '{name}'")
        for key in set(override) - set(per_model):
            raise ConfigError(
                f"memory.probe_overrides.{name}.{key}: not a per-model probe setting "
                f"(allowed: {', '.join(per_model)})"
            )
    _check_probe_server(memory)
    bins = memory.get("levels", {}).get("bins")
    if bins is not None:
        from sftlab.memory.levels import check_bins  # the levels module owns what bins mean

        try:
            check_bins(bins)
        except ValueError as err:
            raise ConfigError(f"memory.levels.bins: {err}") from None
    check_llm(config.get("llm", {}))


def check_llm(llm: dict[str, Any]) -> None:
    """The `llm` section's cross-key rules; LLMSettings applies them too, so a client built outside
    the workflow (python -m sftlab.llm, a bench) obeys the same ones."""
    if llm.get("transport") == "http" and not llm.get("api_base"):
        raise ConfigError(
            "llm.transport: 'http' talks to an OpenAI-compatible server and needs llm.api_base "
            "(use transport litellm or auto for a hosted provider)"
        )
    if llm.get("api_key_env") is not None and llm.get("api_key_file") is not None:
        raise ConfigError("llm.api_key_file: set llm.api_key_env or llm.api_key_file, not both")


def probe_settings(memory: dict[str, Any], model: str) -> dict[str, Any]:
    """The probe_memory job's settings: memory.probe with the model's probe_overrides, less the
    estimator choice (which selects rules, not samples).
    """
    merged = {**memory["probe"], **memory["probe_overrides"].get(model, {})}
    return {k: v for k, v in merged.items() if k not in ("estimator", "compare_estimators")}


def _check_probe_server(memory: dict[str, Any]) -> None:
    """The server probe backend talks to a running server: its address must be given."""
    if not memory.get("enabled", False):
        return
    for name in memory.get("models", []):
        probe = probe_settings(memory, name)
        if probe.get("backend") == "server" and not probe.get("server", {}).get("api_base"):
            override = "server" in memory.get("probe_overrides", {}).get(name, {})
            where = f"memory.probe_overrides.{name}" if override else "memory.probe"
            raise ConfigError(
                f"{where}.server.api_base: the 'server' probe backend of model '{name}' needs "
                "the server's address (e.g. http://127.0.0.1:8000/v1)"
            )


def _check_demo_sources(config: dict[str, Any]) -> None:
    """A study that reads demo data or the demo model needs the demo world enabled."""
    if config.get("demo", {}).get("enabled", False):
        return
    enabled = [s for s in ("memory", "silly") if config.get(s, {}).get("enabled", False)]
    for name, study in DATA_USERS.items():
        if study in enabled and config.get("data", {}).get(name, {}).get("source") == "demo":
            raise ConfigError(
                f"data.{name}.source: 'demo' needs demo.enabled: true "
                f"(the {study} study reads it); use source hub or path, or enable the demo"
            )
    for study in enabled:
        for name in config[study].get("models", []):
            path = str(config["models"][name].get("path") or "")
            if built_by_demo(path):
                raise ConfigError(
                    f"models.{name}.path: {path} is built by the demo world, "
                    f"but demo.enabled is false"
                )


def reference_rows(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(key, type, default, description) for every leaf key of the schema, in schema order."""
    rows = []
    for name, sub in schema.get("properties", {}).items():
        key = f"{prefix}.{name}" if prefix else name
        if "properties" in sub:
            rows.extend(reference_rows(sub, key))
            continue
        if isinstance(sub.get("additionalProperties"), dict) and "properties" in sub.get(
            "additionalProperties", {}
        ):
            rows.extend(reference_rows(sub["additionalProperties"], f"{key}.<name>"))
            continue
        kind = sub.get("type", "any")
        kind = " or ".join(kind) if isinstance(kind, list) else kind
        if "enum" in sub:
            kind = " \\| ".join(str(v) for v in sub["enum"])
        default = json.dumps(sub.get("default")) if "default" in sub else ""
        text = " ".join(str(sub.get("description", "")).split()).replace("|", "\\|")
        rows.append((key, kind, default, text))
    return rows


def reference_markdown(schema_path: str | Path) -> str:
    """The configuration reference of the README, rendered from the schema."""
    schema = load_schema(schema_path)
    lines = []
    for section, sub in schema["properties"].items():
        lines += [f"#### `{section}`", "", " ".join(str(sub.get("description", "")).split()), ""]
        lines += ["| key | type | default | description |", "|---|---|---|---|"]
        lines += [f"| `{k}` | {t} | `{d}` | {x} |" for k, t, d, x in reference_rows(sub, section)]
        lines.append("")
    return "\n".join(lines)


BEGIN, END = "<!-- CONFIG-REFERENCE:BEGIN -->", "<!-- CONFIG-REFERENCE:END -->"
READMES = ("README.md", "config/README.md")  # the workflow catalog shows config/README.md


def readme_with_reference(readme: str, reference: str) -> str:
    """The README text with the block between the reference markers replaced."""
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{reference}{END}{tail}"


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--resolve"]:
        from sftlab.resolve import main

        sys.exit(main(sys.argv[2:]))
    text = reference_markdown("workflow/schemas/config.schema.yaml")
    if sys.argv[1:] == ["--readme"]:
        for readme in map(Path, READMES):
            readme.write_text(readme_with_reference(readme.read_text(), text))
    else:
        print(text)
