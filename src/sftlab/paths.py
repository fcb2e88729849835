"""Where a run reads its versioned data files and writes its outputs.

The workflow may run from any folder (`snakemake -s <repo>/Snakefile --directory <workdir>`) and a
config may name its own output root (`workdir`). Relative outputs then land in that folder, while
the config's versioned data files (templates, aliases, relation and rule files under config/) stay
in the repository: a relative data path that is not found in the working folder is read from the
repository instead. A path that exists in the working folder wins, so a run from the repository
root records exactly the paths it always did (no params change, no re-run).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Config keys holding paths of versioned data files shipped in the repository's config/ folder.
REPO_PATHS = (
    ("demo", "relations"),
    ("demo", "silly_questions"),
    ("data", "entityquestions", "relations"),
    ("memory", "templates"),
    ("memory", "aliases"),
    ("silly", "rules", "file"),
)


def resolve_repo_paths(config: dict[str, Any], repo: str | Path) -> dict[str, Any]:
    """Point relative data paths missing from the working folder at the repository, in place."""
    for keys in REPO_PATHS:
        holder = config
        for key in keys[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        value = holder.get(keys[-1]) if isinstance(holder, dict) else None
        if isinstance(value, str):
            holder[keys[-1]] = repo_path(value, repo)
    return config


def repo_path(value: str, repo: str | Path) -> str:
    """`value` itself when absolute or present in the working folder, else the repository's file
    of that name when it exists (else `value`, for Snakemake to report as missing)."""
    if os.path.isabs(value) or Path(value).exists():
        return value
    candidate = Path(repo) / value
    return str(candidate) if candidate.exists() else value
