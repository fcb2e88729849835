"""Real and demo datasets, normalised to the parquet contracts of schemas.py.

One module per dataset (mmlu, entityquestions, ruozhiba); each offers `load_<name>(settings, ...)`
returning (polars frame, report dict), and the folder loaders `input_files(...)` for the workflow.
Hub access is the single function `sources.hub_dataset`.
"""

from typing import Any

from sftlab.data import entityquestions, mmlu
from sftlab.data.entityquestions import EntityQuestionsSettings, load_entityquestions
from sftlab.data.mmlu import MmluSettings, load_mmlu
from sftlab.data.ruozhiba import RuozhibaSettings, load_ruozhiba
from sftlab.data.schemas import BadRowError, DataSourceError

__all__ = [
    "BadRowError",
    "DataSourceError",
    "EntityQuestionsSettings",
    "MmluSettings",
    "RuozhibaSettings",
    "load_entityquestions",
    "load_mmlu",
    "load_ruozhiba",
    "raw_inputs",
]


# Where `source: url` downloads land (outside results/, so deleting results never downloads again).
DOWNLOADS = {"entityquestions": "resources/entityquestions/dataset.zip"}


def raw_inputs(name: str, settings: dict[str, Any], demo_path: str) -> dict[str, Any]:
    """The rule inputs of one dataset: none for the hub, the demo output, or the local copy plus
    every file read from it (so that changing any of them re-runs the rule)."""
    if settings["source"] == "hub":
        return {}
    if settings["source"] == "demo":
        return {"raw": demo_path}
    if settings["source"] == "url":
        return {"raw": DOWNLOADS[name]}
    path = settings.get("path")
    if not path:
        raise ValueError(f"data.{name}.path: required when data.{name}.source is 'path'")
    if name == "mmlu":
        files = mmlu.input_files(MmluSettings(**settings), path)
    elif name == "entityquestions":
        files = entityquestions.input_files(EntityQuestionsSettings(**settings), path)
    else:
        files = []
    return {"raw": path, "files": files}
