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
        if not isinstance(value, str) or os.path.isabs(value) or Path(value).exists():
            continue
        candidate = Path(repo) / value
        if candidate.exists():
            holder[keys[-1]] = str(candidate)
    return config
