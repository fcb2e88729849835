"""Honest re-run triggers: library code a rule runs re-runs it; speed-only settings do not.

Snakemake's code trigger sees only a rule's thin script, not the `sftlab` modules it calls, so every
scripted rule gets a `code` param: a digest of the sources of the sftlab modules its script imports,
followed through their own sftlab imports (Snakefile). A param's recorded value is its `repr`
(snakemake.persistence, for builtin types), so `SpeedOnly` is a dict whose repr leaves out the keys
that change speed but not results (batch sizes, shard sizes): the script receives them, the params
trigger never sees them.
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE = "sftlab"
SOURCE_ROOT = Path(__file__).resolve().parent


class SpeedOnly(dict):
    """A settings dict whose keys in `speed` reach the script but are no re-run trigger."""

    def __init__(self, values: dict[str, Any], speed: tuple[str, ...]):
        super().__init__(values)
        self.speed = tuple(speed)

    def __repr__(self) -> str:
        return repr({k: v for k, v in self.items() if k not in self.speed})


def _module_file(name: str) -> Path | None:
    """The source file of sftlab module `name` (a package's __init__.py), None outside sftlab."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = SOURCE_ROOT.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":`, whose body runs only when the module is run as a program."""
    test = node.test if isinstance(node, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _imports(path: Path, module: str | None) -> set[str]:
    """sftlab modules imported by the file at `path` (`module`: its dotted name, for relative
    imports): at module level and inside functions (a lazy import runs when its function does),
    not under `if __name__ == "__main__":` (a command-line entry point never runs in a job)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tree.body = [node for node in tree.body if not _is_main_guard(node)]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and module:
                package = module.split(".")
                package = package[: len(package) - node.level + (path.name == "__init__.py")]
                base = ".".join([*package, base] if base else package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if _module_file(name) is not None}


@cache
def library_files(script: str) -> tuple[Path, ...]:
    """The sftlab source files a script depends on: its imports, theirs, and their packages."""
    todo = list(_imports(Path(script), None))
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
            parent = ".".join(parts[:i])
            path = _module_file(parent)
            if parent not in seen and path is not None:
                seen[parent] = path
                todo.extend(_imports(path, parent))
    return tuple(sorted(set(seen.values())))


def code_digest(script: str | Path) -> str:
    """sha256 (16 hex digits) of the sftlab sources `script` runs, by path and content."""
    digest = hashlib.sha256()
    for path in library_files(str(script)):
        digest.update(str(path.relative_to(SOURCE_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
