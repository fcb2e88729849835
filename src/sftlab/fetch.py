"""Hub models fetched once, on a machine with network, into the Hugging Face cache.

Compute nodes often have no network: the `fetch_model` rule (a local rule, run where Snakemake runs)
downloads each hub model's weights, config and tokenizer at its pinned revision into the cache
(`HF_HUB_CACHE`, default ~/.cache/huggingface/hub; put it on a shared filesystem), with `HF_TOKEN`
for gated models. GPU jobs then load the local snapshot folder and never touch the network
(sftlab.lm.load.source).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from huggingface_hub import snapshot_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
)

# What from_pretrained reads: safetensors weights (never .bin or consolidated .pth copies).
ALLOW_PATTERNS = ["*.json", "*.safetensors", "tokenizer*", "*.model", "*.tiktoken", "*.txt"]


class FetchError(RuntimeError):
    """A hub model that cannot be fetched; the message names the model entry and the fix."""


def local_snapshot(hub_id: str, revision: str | None) -> Path | None:
    """The fetched snapshot folder of `hub_id` at `revision` (weights and config), or None."""
    try:
        folder = Path(
            snapshot_download(
                hub_id, revision=revision, allow_patterns=ALLOW_PATTERNS, local_files_only=True
            )
        )
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError):
        return None
    has_weights = any(folder.glob("*.safetensors"))
    return folder if (folder / "config.json").is_file() and has_weights else None


def is_fetched(hub_id: str, revision: str | None) -> bool:
    return local_snapshot(hub_id, revision) is not None


def fetch(name: str, hub_id: str, revision: str | None) -> Path:
    """Download `hub_id` (at `revision`) into the cache once; return its snapshot folder."""
    try:
        return Path(
            snapshot_download(
                hub_id,
                revision=revision,
                allow_patterns=ALLOW_PATTERNS,
                token=os.environ.get("HF_TOKEN") or None,
            )
        )
    except GatedRepoError as err:
        raise FetchError(
            f"models.{name}: {hub_id} is gated: accept its licence on the hub, then set HF_TOKEN "
            f"to a token of that account ({err.__class__.__name__})"
        ) from err
    except RepositoryNotFoundError as err:
        raise FetchError(
            f"models.{name}: {hub_id} not found on the hub (models.{name}.hub_id), or private "
            "without HF_TOKEN"
        ) from err
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as err:
        raise FetchError(
            f"models.{name}: cannot download {hub_id} ({err.__class__.__name__}: {err}); fetch "
            f"where there is network, or set models.{name}.path to a local model folder"
        ) from err


def not_loadable(entry: dict[str, Any], err: Exception) -> str:
    """The load error of a model entry, with the fix."""
    name = entry.get("name") or "<unnamed>"
    if entry.get("path"):
        return f"models.{name}: cannot load {entry['path']} ({err}); check models.{name}.path"
    return (
        f"models.{name}: {entry['hub_id']} is not in the local cache and could not be downloaded "
        f"({err.__class__.__name__}). Fix: run `snakemake --cores 1 fetch_models` on a machine "
        f"with network (HF_TOKEN for gated models; the same HF_HUB_CACHE as the GPU jobs), or set "
        f"models.{name}.path to a local model folder"
    )
