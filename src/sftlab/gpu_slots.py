"""Give each GPU job on one machine its own devices.

Snakemake's `--resources gpu=N` (profiles/default) bounds how many GPUs the running jobs hold
together, but not which: every job would see all GPUs and use cuda:0. A job therefore claims
`count` free slots among this machine's visible GPUs by taking an exclusive lock (fcntl.flock) on
one file per slot, then sets CUDA_VISIBLE_DEVICES to its slots before CUDA is initialised. The
kernel drops the locks when the process ends, also on SIGKILL, so a crashed job never strands a
GPU. Child processes (the ranks of a multi-GPU fine-tune) inherit the variable.

Under SLURM (SLURM_JOB_ID set) the scheduler already gives each job its own devices: nothing is
claimed. Without GPUs nothing is claimed either.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

POLL_S = 5.0  # a slot frees when another job ends; jobs last minutes to hours
_HELD: list[Claim] = []  # claim_gpus holds its claim for the life of the process


def visible_gpus(env: dict[str, str] | None = None, dev: Path = Path("/dev")) -> list[str]:
    """Device ids this process may use: CUDA_VISIBLE_DEVICES if set, else /dev/nvidia<N>."""
    env = os.environ if env is None else env
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [d.strip() for d in visible.split(",") if d.strip()]
    numbers = [p.name.removeprefix("nvidia") for p in dev.glob("nvidia[0-9]*")]
    return sorted((n for n in numbers if n.isdigit()), key=int)


def default_lock_dir() -> Path:
    """One folder per user and machine (local /tmp, never a shared file system)."""
    return Path(tempfile.gettempdir()) / f"sftlab-gpu-slots-{os.getuid()}"


@dataclass
class Claim:
    devices: list[str]
    _files: list = field(default_factory=list, repr=False)

    def release(self) -> None:
        for handle in self._files:
            handle.close()  # closing the file drops its flock
        self._files.clear()


def try_claim(count: int, devices: list[str], lock_dir: Path) -> Claim | None:
    """Lock `count` of `devices` at once, or none (no partial claim is kept)."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    claim = Claim(devices=[])
    for device in devices:
        handle = open(lock_dir / f"gpu{device}.lock", "w")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        claim.devices.append(device)
        claim._files.append(handle)
        if len(claim.devices) == count:
            return claim
    claim.release()
    return None


def claim_gpus(
    count: int,
    env: dict[str, str] | None = None,
    lock_dir: Path | None = None,
    dev: Path = Path("/dev"),
    poll_s: float = POLL_S,
) -> Claim | None:
    """Claim `count` GPUs of this machine until the calling process ends and set
    CUDA_VISIBLE_DEVICES in `env` (default os.environ); wait while other jobs hold them. Call it
    before anything touches CUDA. None where nothing is claimed."""
    env = os.environ if env is None else env
    if "SLURM_JOB_ID" in env or count < 1:
        return None
    devices = visible_gpus(env, dev)
    if not devices:
        return None
    if count > len(devices):
        raise RuntimeError(
            f"the job needs {count} GPUs but this machine shows {len(devices)} ({devices}); "
            "lower models.<name>.gpus or run on a larger node"
        )
    lock_dir = lock_dir or default_lock_dir()
    waited = 0.0
    while (claim := try_claim(count, devices, lock_dir)) is None:
        if waited % 60 < poll_s:
            log.info("waiting for %d free GPU(s) of %s (held by other jobs)", count, devices)
        time.sleep(poll_s)
        waited += poll_s
    _HELD.append(claim)
    env["CUDA_VISIBLE_DEVICES"] = ",".join(claim.devices)
    log.info("claimed GPU(s) %s (CUDA_VISIBLE_DEVICES)", env["CUDA_VISIBLE_DEVICES"])
    return claim
