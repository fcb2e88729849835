"""envs/*.yaml work under `snakemake --sdm conda` from any working directory, each with what its
rules import.

Snakemake copies an env file to .snakemake/conda/<hash>.yaml and conda runs pip from there, so a
relative path in it (`-e ../`) would point into .snakemake/. The envs install sftlab from
${SFTLAB_SOURCE}, which pip expands and the Snakefile sets to the checkout. What a rule needs is
read statically: the third-party modules its script reaches through sftlab (imports anywhere in a
module, lazy ones included), mapped to distributions; its env must declare each of them.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
ENVS = sorted((REPO / "envs").glob("*.yaml"))
SOURCE = "${SFTLAB_SOURCE}"
EDITABLE = re.compile(r"^-e \$\{SFTLAB_SOURCE\}(?:\[(?P<extras>[\w,]+)\])?$")
RULE = re.compile(r"^\s*rule (\w+):")
DIRECTIVE = re.compile(r"^\s*(conda|script):\s*$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return canonical(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0])


@cache
def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def extra_names(extras: list[str]) -> set[str]:
    """Distributions sftlab declares for these extras (and the core), self-references expanded."""
    names = {requirement_name(spec) for spec in project()["dependencies"]}
    for extra in extras:
        for spec in project()["optional-dependencies"][extra]:
            match = re.fullmatch(r"sftlab\[([\w,]+)\]", spec)
            names |= extra_names(match.group(1).split(",")) if match else {requirement_name(spec)}
    return names


def pip_lines(env: Path) -> list[str]:
    dependencies = yaml.safe_load(env.read_text())["dependencies"]
    return [line for entry in dependencies if isinstance(entry, dict) for line in entry["pip"]]


def provided(env: Path) -> set[str]:
    names = set()
    for line in pip_lines(env):
        editable = EDITABLE.match(line)
        if editable:
            names |= extra_names(list(filter(None, (editable["extras"] or "").split(","))))
        elif not line.startswith("-"):
            names.add(requirement_name(line))
    return names


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module `path` imports, anywhere in the file."""
    names = set()
    package = ".".join(path.relative_to(SRC).parent.parts) if path.is_relative_to(SRC) else ""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def sftlab_file(module: str) -> Path | None:
    path = SRC.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def third_party(script: Path) -> frozenset[str]:
    """Top-level third-party modules reachable from a script through sftlab's modules."""
    seen, found, todo = set(), set(), [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] != "sftlab":
                found.add(parts[0])
                continue
            todo += [f for i in range(1, len(parts) + 1) if (f := sftlab_file(".".join(parts[:i])))]
    return frozenset(found - set(sys.stdlib_module_names) - {"__future__"})


@cache
def installed_distributions() -> dict[str, list[str]]:
    return packages_distributions()


# Modules of an optional extra that sftlab imports lazily, only in the jobs whose env installs it
# (memory.probe.backend: vllm runs probe_memory in envs/vllm.yaml).
OPTIONAL = {"vllm": "vllm.yaml"}


def probe_envs() -> list[str]:
    """The env files probe_memory's `conda:` lambda chooses from, one per backend."""
    from sftlab.memory.backends import job_env

    memory = {"probe_overrides": {}}
    return sorted(
        {job_env({**memory, "probe": {"backend": b}}, "m") for b in ("hf", "vllm", "server")}
    )


@cache
def workflow_rules() -> dict[str, dict[str, Path]]:
    """rule name -> {"conda": env file, "script": script}, read from workflow/rules/*.smk; a rule
    whose env depends on its settings (probe_memory) appears once per env as `rule[env]`."""
    rules: dict[str, dict[str, Path]] = {}
    for smk in sorted((REPO / "workflow/rules").glob("*.smk")):
        lines = smk.read_text().splitlines()
        name = None
        for number, line in enumerate(lines):
            if match := RULE.match(line):
                name = match.group(1)
                rules[name] = {}
            elif (match := DIRECTIVE.match(line)) and name:
                value = lines[number + 1].strip().strip(",").strip('"')
                if value.startswith("lambda") and "job_env" in value:
                    rules[name][match.group(1)] = None  # filled per env below
                    continue
                rules[name][match.group(1)] = (smk.parent / value).resolve()
    for name in [n for n, d in rules.items() if "conda" in d and d["conda"] is None]:
        directives = rules.pop(name)
        for env in probe_envs():
            rules[f"{name}[{env}]"] = {**directives, "conda": REPO / "envs" / f"{env}.yaml"}
    return rules


def test_envs_install_sftlab_from_the_checkout_from_any_working_directory(tmp_path, monkeypatch):
    snakefile = (REPO / "Snakefile").read_text()  # the value: the top-level Snakefile's folder
    assert 'os.environ.setdefault("SFTLAB_SOURCE", workflow.current_basedir' in snakefile
    monkeypatch.chdir(tmp_path)  # pip runs beside the env file's copy in .snakemake/conda/
    for env in ENVS:
        lines = pip_lines(env)
        editable = [match for line in lines if (match := EDITABLE.match(line))]
        assert len(editable) == 1, f"{env.name}: sftlab must be `-e {SOURCE}[extras]`: {lines}"
        extras = set((editable[0]["extras"] or "").split(",")) - {""}
        assert extras <= set(project()["optional-dependencies"]), f"{env.name}: {extras}"
        for line in lines:  # what pip reads once it has expanded ${SFTLAB_SOURCE}
            target = line.replace(SOURCE, str(REPO)).removeprefix("-e ").split("[")[0]
            assert ".." not in line and not target.startswith("."), f"{env.name}: {line}"
        source = Path(editable[0].group(0).replace(SOURCE, str(REPO))[3:].split("[")[0])
        assert source.is_absolute() and (source / "src/sftlab/__init__.py").is_file()


@pytest.mark.parametrize("rule", sorted(n for n, d in workflow_rules().items() if "script" in d))
def test_each_rule_env_declares_what_its_script_imports(rule):
    directives = workflow_rules()[rule]
    env = directives["conda"]
    assert env.is_file(), f"rule {rule}: conda env {env} does not exist"
    distributions = installed_distributions()
    missing = {}
    for module in third_party(directives["script"]):
        if module in OPTIONAL and env.name != OPTIONAL[module]:
            continue  # imported lazily, only where its own env runs the job
        names = {canonical(name) for name in distributions.get(module, [])} or (
            {canonical(module)} if module in OPTIONAL else set()
        )
        assert names, f"{module} (imported for rule {rule}) belongs to no installed distribution"
        if not names & provided(env):
            missing[module] = sorted(names)
    assert not missing, f"rule {rule}: {env.name} lacks {missing}"


def test_figures_and_summaries_get_no_model_or_llm_stack():
    heavy = {"torch", "transformers", "trl", "peft", "litellm"}
    light = {
        name: d for name, d in workflow_rules().items() if name.startswith(("plot_", "prepare_"))
    }
    assert len(light) >= 10
    for name, directives in light.items():
        assert not provided(directives["conda"]) & heavy, f"rule {name}: {directives['conda'].name}"


def test_every_env_file_is_used_by_a_rule():
    used = {d.get("conda") for d in workflow_rules().values()}
    assert set(ENVS) <= used, sorted(str(e) for e in set(ENVS) - used)
