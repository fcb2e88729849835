"""Every rule script speaks one dialect, read from its syntax tree (no Snakemake needed).

The dialect: a docstring that opens with `<script name>: ` and holds one table of the inputs,
outputs and params the script reads (`Inputs:`, `Outputs:`, `Params:`, nine columns wide, `-`
for none); `def main(snakemake) -> None` whose first statement is
`setup_logging(snakemake.log[0])` (the rule's log, with uncaught exceptions captured into it); the
tail `if __name__ == "__main__": main(snakemake)`; inputs, outputs and params by name only; no
config read (config reaches a script through params, so a change of it re-runs the rule).

The scripts are read from their syntax trees; the rules (does each script have its rule's name, is
everything a rule declares named and listed in its script's table?) by Snakemake's API in a
subprocess, on the default config (seconds; nothing runs).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "workflow/scripts").glob("*.py"))
SECTIONS = {"Inputs:": "input", "Outputs:": "output", "Params:": "params"}
WIDTH = 9  # "Outputs: "
ENTRY = re.compile(r"^(?P<name>[A-Za-z_<][\w>]*|-)(?:\s{2,}\S.*)?$")
DICT_METHODS = {"get", "keys", "items", "values"}


def docstring_table(doc: str) -> dict[str, list[str]]:
    """{input|output|params: names} of the table; ValueError naming the first bad line."""
    table: dict[str, list[str]] = {}
    section = None
    for line in doc.splitlines():
        header = line[:WIDTH].strip()
        if header in SECTIONS:
            section = SECTIONS[header]
            if section in table:
                raise ValueError(f"{header} appears twice")
            if line[:WIDTH] != header.ljust(WIDTH):
                raise ValueError(f"{header} not padded to {WIDTH} columns: {line!r}")
            table[section] = []
        elif section is None or not line.startswith(" " * WIDTH):
            section = None
            continue
        rest = line[WIDTH:]
        if rest.startswith(" "):  # a description's continuation
            continue
        entry = ENTRY.match(rest)
        if entry is None:
            raise ValueError(f"not `name  description`: {line!r}")
        if entry["name"] != "-":
            table[section].append(entry["name"])
    if list(table) != list(SECTIONS.values()):
        raise ValueError(f"sections {list(table)}, expected Inputs:, Outputs:, Params: in order")
    return table


def is_snakemake(node: ast.AST, section: str | None = None) -> bool:
    """`snakemake` itself, or `snakemake.<section>` when a section is given."""
    if section is None:
        return isinstance(node, ast.Name) and node.id == "snakemake"
    return isinstance(node, ast.Attribute) and node.attr == section and is_snakemake(node.value)


def used_names(tree: ast.Module) -> dict[str, set[str]]:
    """Names read as snakemake.<section>.name, .get("name") or ["name"], per section."""
    used: dict[str, set[str]] = {section: set() for section in SECTIONS.values()}
    for node in ast.walk(tree):
        for section in used:
            if isinstance(node, ast.Attribute) and is_snakemake(node.value, section):
                if node.attr not in DICT_METHODS:
                    used[section].add(node.attr)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and is_snakemake(node.func.value, section)
                and isinstance(node.args[0], ast.Constant)
            ):
                used[section].add(node.args[0].value)
            elif (
                isinstance(node, ast.Subscript)
                and is_snakemake(node.value, section)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                used[section].add(node.slice.value)
    return used


def dialect_errors(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    errors = []
    doc = ast.get_docstring(tree, clean=False) or ""
    if not doc.startswith(f"{path.stem}: "):
        errors.append(f"the docstring does not open with '{path.stem}: '")
    try:
        table = docstring_table(doc)
    except ValueError as err:
        errors.append(f"docstring table: {err}")
        table = None
    mains = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
    if len(mains) != 1:
        errors.append("no module-level main()")
    else:
        main = mains[0]
        args = main.args
        if [a.arg for a in args.args] != ["snakemake"] or args.vararg or args.kwonlyargs:
            errors.append("main's signature is not main(snakemake)")
        if not (isinstance(main.returns, ast.Constant) and main.returns.value is None):
            errors.append("main is not annotated -> None")
        if ast.unparse(main.body[0]) != "setup_logging(snakemake.log[0])":
            errors.append("main does not start with setup_logging(snakemake.log[0])")
    if ast.unparse(tree.body[-1]) != "if __name__ == '__main__':\n    main(snakemake)":
        errors.append("the tail is not `if __name__ == '__main__': main(snakemake)`")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "config":
            errors.append(f"line {node.lineno}: reads `config`")
        if isinstance(node, ast.Attribute) and node.attr == "config" and is_snakemake(node.value):
            errors.append(f"line {node.lineno}: reads snakemake.config")
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            for section in SECTIONS.values():
                if is_snakemake(node.value, section) and isinstance(node.slice.value, int):
                    errors.append(f"line {node.lineno}: positional {ast.unparse(node)}")
    if table is not None:
        for section, names in used_names(tree).items():
            missing = sorted(names - set(table[section]))
            if missing:
                errors.append(f"{section} {missing} read but not in the docstring table")
    return errors


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_follows_the_dialect(path):
    assert dialect_errors(path) == []


def test_the_check_catches_each_departure(tmp_path):
    """Each rule of the dialect, broken once in a copy of a conforming script, is reported."""
    good = (
        Path(__file__).resolve().parents[2] / "workflow/scripts/keep_common_items.py"
    ).read_text()
    breaks = {
        "docstring does not open": good.replace('"""keep_common_items: ', '"""Keep: ', 1),
        "sections": good.replace("Params:  -\n", ""),
        "signature": good.replace("def main(snakemake) -> None:", "def main(smk) -> None:"),
        "-> None": good.replace("def main(snakemake) -> None:", "def main(snakemake):"),
        "setup_logging": good.replace("    setup_logging(snakemake.log[0])\n", "", 1),
        "tail": good.replace("    main(snakemake)  # noqa: F821", "    main(snakemake, 1)"),
        "reads `config`": good.replace("    rows = ", "    config['x']\n    rows = ", 1),
        "snakemake.config": good.replace("    rows = ", "    snakemake.config\n    rows = ", 1),
        "positional": good.replace("snakemake.output.set", "snakemake.output[0]"),
        "not in the docstring table": good.replace("snakemake.input.set", "snakemake.input.rows"),
    }
    for expected, text in breaks.items():
        assert text != good, expected
        path = tmp_path / "keep_common_items.py"
        path.write_text(text)
        errors = dialect_errors(path)
        assert any(expected in error for error in errors), (expected, errors)


# Prints, per scripted rule, its script's file name and the names and unnamed items of its input,
# output and params (the items an unpack() function adds are known only per job: not counted).
READ_RULES = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ResourceSettings

def names(items):
    covered = {i for start, end in items._names.values() for i in range(start, end or start + 1)}
    unnamed = [
        i for i, item in enumerate(items)
        if i not in covered and not getattr(item, "flags", {}).get("unpack")
    ]
    return {"names": sorted(items._names), "unnamed": len(unnamed)}

with SnakemakeApi() as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(cores=1), snakefile=Path("Snakefile"), workdir=Path(".")
    )._workflow
    rules = {
        rule.name: {
            "script": Path(rule.script).name,
            "input": names(rule.input),
            "output": names(rule.output),
            "params": names(rule.params),
        }
        for rule in workflow.rules
        if rule.script
    }
print("RULES" + json.dumps(rules))
"""


@pytest.fixture(scope="module")
def rules(repo) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", READ_RULES], cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    line = next(line for line in run.stdout.splitlines() if line.startswith("RULES"))
    return json.loads(line.removeprefix("RULES"))


def test_every_script_belongs_to_a_rule_of_its_name(repo, rules):
    scripts = {p.name for p in (repo / "workflow/scripts").glob("*.py")}
    assert {rule["script"] for rule in rules.values()} == scripts
    assert {name: rule["script"] for name, rule in rules.items()} == {
        name: f"{name}.py" for name in rules
    }


def test_rules_name_everything_and_scripts_list_it(repo, rules):
    problems = []
    for name, rule in rules.items():
        path = repo / "workflow/scripts" / rule["script"]
        table = docstring_table(ast.get_docstring(ast.parse(path.read_text()), clean=False) or "")
        for section in ("input", "output", "params"):
            declared = rule[section]
            if declared["unnamed"]:
                problems.append(f"rule {name}: {declared['unnamed']} unnamed {section} item(s)")
            # `code` is the digest every scripted rule carries (sftlab.triggers), never read
            missing = set(declared["names"]) - set(table[section]) - {"code"}
            if missing:
                problems.append(f"{rule['script']}: {section} {sorted(missing)} not in its table")
    assert problems == []
