"""Load a model and its tokenizer from a model entry of the `models:` registry.

An entry is a plain dict, as in config/config.yaml plus its name:
    {"name": "demo", "path": "results/demo/model", "hub_id": None, "revision": None,
     "dtype": "auto", "kind": "base", "chat_template": None, "trust_remote_code": False}
The same code path loads the demo model (a local folder) and a hub model. An optional adapter
folder is either a PEFT adapter (adapter_config.json) or a fully fine-tuned model (config.json), as
written by `sftlab.train`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from sftlab.fetch import local_snapshot, not_loadable

log = logging.getLogger(__name__)

ENTRY_DEFAULTS: dict[str, Any] = {
    "name": None,
    "path": None,
    "hub_id": None,
    "revision": None,
    "dtype": "auto",  # bfloat16 on CUDA, float32 on CPU
    "kind": "base",  # base | chat
    "chat_template": None,  # Jinja string or path to a .jinja file; overrides the tokenizer's
    "trust_remote_code": False,
    "gpus": 1,  # GPUs a fine-tune of this model uses (FSDP over them when > 1; sftlab.train.launch)
    "params_b": None,  # size for estimates when no config.json is at hand (planning only)
}
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


class ModelEntryError(ValueError):
    """A model entry that cannot be loaded: no source, a missing folder, an unknown dtype."""


class AdapterMismatchError(ValueError):
    """An adapter (or fine-tuned model) that was not trained from the base model it is loaded on."""


def resolve_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with defaults filled; raise ModelEntryError when it names no loadable source."""
    unknown = sorted(set(entry) - set(ENTRY_DEFAULTS))
    full = {**ENTRY_DEFAULTS, **entry}
    name = full["name"] or "<unnamed>"
    if unknown:
        raise ModelEntryError(f"model '{name}': unknown key(s) {unknown}")
    if not full["path"] and not full["hub_id"]:
        raise ModelEntryError(f"model '{name}': the entry needs either 'path' or 'hub_id'")
    if full["path"] and full["hub_id"]:
        raise ModelEntryError(f"model '{name}': give 'path' or 'hub_id', not both")
    if full["path"] and not Path(full["path"]).is_dir():
        raise ModelEntryError(f"model '{name}': local path {full['path']} does not exist")
    if full["dtype"] != "auto" and full["dtype"] not in DTYPES:
        raise ModelEntryError(f"model '{name}': unknown dtype {full['dtype']!r}")
    return full


def source(entry: dict[str, Any]) -> str:
    """Where from_pretrained loads the entry: its local path, the snapshot fetch_model downloaded
    (so GPU jobs never touch the network), or else the hub id."""
    if entry.get("path"):
        return str(entry["path"])
    snapshot = local_snapshot(entry["hub_id"], entry.get("revision"))
    return str(snapshot) if snapshot else str(entry["hub_id"])


def pick_device(prefer: str | None = None) -> torch.device:
    """CUDA when available (or `prefer`, e.g. "cpu"), else CPU; chosen at run time."""
    if prefer:
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pick_dtype(name: str, device: torch.device) -> torch.dtype:
    """`auto` = bfloat16 on a CUDA device that supports it, float32 otherwise."""
    if name == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return DTYPES[name]


def load_tokenizer(entry: dict[str, Any]) -> PreTrainedTokenizerBase:
    """The entry's tokenizer with a pad token and the chat-template override applied."""
    entry = resolve_entry(entry)
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            source(entry), revision=entry["revision"], trust_remote_code=entry["trust_remote_code"]
        )
    except OSError as err:
        raise ModelEntryError(not_loadable(entry, err)) from err
    apply_chat_template_override(tokenizer, entry["chat_template"])
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def apply_chat_template_override(tokenizer: PreTrainedTokenizerBase, template: str | None) -> None:
    if not template:
        return
    if template.endswith(".jinja"):
        path = Path(template)
        if not path.is_file():
            raise ModelEntryError(f"chat template file {template} does not exist")
        template = path.read_text(encoding="utf-8")
    tokenizer.chat_template = template


def load_model(
    entry: dict[str, Any],
    adapter: str | Path | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    merge: bool = True,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load (model, tokenizer) for inference, on `device` (default: pick_device()), in eval mode.

    A PEFT adapter is merged into the weights when `merge` (faster inference, same outputs).
    """
    entry = resolve_entry(entry)
    device = torch.device(device) if device is not None else pick_device()
    dtype = dtype or pick_dtype(entry["dtype"], device)
    adapter_dir = Path(adapter) if adapter else None
    full_model = adapter_dir is not None and not (adapter_dir / "adapter_config.json").is_file()
    if adapter_dir is not None and not adapter_dir.is_dir():
        raise AdapterMismatchError(f"adapter folder {adapter_dir} does not exist")
    if full_model and not (adapter_dir / "config.json").is_file():
        raise AdapterMismatchError(
            f"{adapter_dir} holds neither a PEFT adapter (adapter_config.json) "
            "nor a model (config.json)"
        )
    tokenizer = load_tokenizer(entry)
    kwargs = {
        "dtype": dtype,
        "trust_remote_code": entry["trust_remote_code"],
        "device_map": {"": str(device)} if device.type == "cuda" else None,
    }
    if full_model:
        check_base_matches(entry, adapter_dir)
        model = AutoModelForCausalLM.from_pretrained(str(adapter_dir), **kwargs)
    else:
        model = AutoModelForCausalLM.from_pretrained(
            source(entry), revision=entry["revision"], **kwargs
        )
        if adapter_dir is not None:
            model = attach_adapter(model, entry, adapter_dir, merge=merge)
    if device.type != "cuda":
        model.to(device)
    model.eval()
    log.info("loaded model %s (%s, %s) adapter=%s", entry["name"], device, dtype, adapter_dir)
    return model, tokenizer


def base_fingerprint(config: Any) -> dict[str, Any]:
    """Architecture fields an adapter depends on; equal for a base and what is trained from it."""
    keys = ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size")
    data = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    return {key: data.get(key) for key in keys}


def check_base_matches(entry: dict[str, Any], adapter_dir: Path) -> None:
    """Compare the base recorded by sftlab.train (base_model.json) with the entry, when present."""
    from transformers import AutoConfig

    from sftlab.io import read_json

    record = adapter_dir / "base_model.json"
    if not record.is_file():
        return
    trained = read_json(record)
    config = AutoConfig.from_pretrained(
        source(entry), revision=entry["revision"], trust_remote_code=entry["trust_remote_code"]
    )
    current = base_fingerprint(config)
    if trained.get("fingerprint") != current:
        raise AdapterMismatchError(
            f"{adapter_dir} was trained from model '{trained.get('name')}' "
            f"({trained.get('source')}, {trained.get('fingerprint')}), but is being loaded on "
            f"model '{entry['name']}' ({source(entry)}, {current})"
        )


def attach_adapter(
    model: PreTrainedModel, entry: dict[str, Any], adapter_dir: Path, merge: bool = True
) -> PreTrainedModel:
    from peft import PeftModel

    check_base_matches(entry, adapter_dir)
    try:
        peft_model = PeftModel.from_pretrained(model, str(adapter_dir))
    except (RuntimeError, ValueError, KeyError) as err:
        raise AdapterMismatchError(
            f"adapter {adapter_dir} does not fit base model '{entry['name']}' "
            f"({source(entry)}): {err}"
        ) from err
    return peft_model.merge_and_unload() if merge else peft_model


def log_peak_gpu_memory() -> None:
    """Log the peak CUDA memory of this process (GPU rules report it themselves)."""
    if torch.cuda.is_available():
        peak = torch.cuda.max_memory_allocated() / 2**30
        log.info("peak GPU memory: %.2f GiB on %s", peak, torch.cuda.get_device_name())
