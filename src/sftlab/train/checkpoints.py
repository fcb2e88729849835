"""Safe resume: a checkpoint is used only when it is complete and belongs to this very run.

The checkpoint folder carries `fingerprint.json`: a hash of the SFT set's bytes, the resolved
training settings that change the result (batch size, learning rate, precision, world size, ...)
and the base model (source, revision, architecture). A run whose fingerprint differs (a changed set,
the smaller batch an OOM message recommends, another base model) discards the old checkpoints with
a log line instead of continuing foreign weights.

A checkpoint is complete when it holds trainer_state.json: the Trainer writes it after the weights,
optimizer, scheduler and RNG states, so a save torn by a kill lacks it. Torn checkpoints are deleted
and the newest complete one is resumed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from sftlab.io import read_json, write_json

log = logging.getLogger(__name__)

FINGERPRINT = "fingerprint.json"
COMPLETE_MARKER = "trainer_state.json"  # transformers.trainer.TRAINER_STATE_NAME, written last
_STEP = re.compile(r"^checkpoint-(\d+)$")
# SFTConfig fields that name places or set bookkeeping, not what the weights become.
_NOT_FINGERPRINTED = {
    "output_dir",
    "logging_dir",
    "run_name",
    "logging_steps",
    "save_steps",
    "save_total_limit",
    "disable_tqdm",
    "report_to",
    "dataloader_num_workers",
}


def run_fingerprint(
    data_sha256: str, sft: dict[str, Any], method: str, lora: Any, base: dict[str, Any], world: int
) -> dict[str, Any]:
    """The identity of a run's training trajectory; equal fingerprints may share checkpoints."""
    settings = {k: v for k, v in sft.items() if k not in _NOT_FINGERPRINTED}
    record = {
        "data_sha256": data_sha256,
        "method": method,
        "sft": settings,
        "lora": lora,
        "base": base,
        "world_size": world,
    }
    text = json.dumps(record, sort_keys=True, default=str)
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), **record}


def prepare_resume(ckpt_dir: str | Path, fingerprint: dict[str, Any]) -> str | None:
    """The checkpoint to resume from, after deleting foreign and torn ones; None = start afresh.

    Records the fingerprint; called by the main process only (it deletes what it discards).
    """
    ckpt_dir = Path(ckpt_dir)
    record = ckpt_dir / FINGERPRINT
    if ckpt_dir.is_dir() and any(ckpt_dir.iterdir()):
        old = read_json(record).get("sha256") if record.is_file() else None
        if old != fingerprint["sha256"]:
            log.warning(
                "discarding checkpoints in %s: their fingerprint %s differs from this run's %s "
                "(changed SFT set, settings or base model)",
                ckpt_dir,
                old,
                fingerprint["sha256"],
            )
            shutil.rmtree(ckpt_dir)
    write_json(record, fingerprint)
    return newest_complete(ckpt_dir, delete_torn=True)


def newest_complete(ckpt_dir: Path, delete_torn: bool = False) -> str | None:
    if not ckpt_dir.is_dir():
        return None
    steps = sorted(
        ((int(m.group(1)), p) for p in ckpt_dir.iterdir() if (m := _STEP.match(p.name))),
        reverse=True,
    )
    for _, path in steps:
        if (path / COMPLETE_MARKER).is_file():
            return str(path)
        log.warning(
            "skipping incomplete checkpoint %s (no %s: torn by a kill)", path, COMPLETE_MARKER
        )
        if delete_torn:
            shutil.rmtree(path)
    return None


class NoFinalCheckpoint(TrainerCallback):
    """The Trainer also checkpoints at the last step; the final weights are saved anyway, so a run
    shorter than save_steps writes no checkpoint (for a 13B model, ~200 GB with optimizer state)."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps:
            control.should_save = False
        return control
