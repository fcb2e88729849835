"""A fine-tune over several GPUs: `accelerate launch` with FSDP full sharding, one process per GPU.

The parent (workflow/scripts/train_sft.py) writes the job as a JSON spec and runs
    python -m accelerate.commands.launch --config_file config/launch/fsdp.yaml \
        --num_processes <gpus> --main_process_port <free port> --module sftlab.train.launch <spec>
Each rank then calls sftlab.train.train_sft with the same arguments; FSDP (configured by the
versioned launcher config, not by code) shards the fp32 weights, gradients and AdamW state, and
rank 0 writes the outputs. The ranks' log lines go to the parent's log file.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from sftlab.io import read_json, write_json

log = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port free now on this host, for the ranks' rendezvous (several jobs share a node)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_command(
    spec: str | Path, gpus: int, launch_config: str | Path, cpu: bool = False
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(launch_config),
        "--num_processes",
        str(gpus),
        "--main_process_port",
        str(free_port()),
    ]
    if cpu:  # gloo on the CPU: how the sharded path is tested without GPUs
        command.append("--cpu")
    return [*command, "--module", "sftlab.train.launch", str(spec)]


def train_sft_launched(
    gpus: int,
    launch_config: str | Path,
    log_path: str | Path | None = None,
    cpu: bool = False,
    threads: int | None = None,
    **job: Any,
) -> dict[str, Any]:
    """Run sftlab.train.train_sft(**job) as `gpus` FSDP ranks; return rank 0's metrics."""
    train_dir = Path(job["train_dir"])
    train_dir.mkdir(parents=True, exist_ok=True)
    spec = train_dir / "launch_spec.json"
    write_json(spec, {k: str(v) if isinstance(v, Path) else v for k, v in job.items()})
    command = launch_command(spec, gpus, launch_config, cpu=cpu)
    log.info("launching %d ranks: %s", gpus, " ".join(command))
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, (threads or gpus) // gpus))}
    sink = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115
    try:
        done = subprocess.run(command, env=env, stdout=sink, stderr=sink, check=False)
    finally:
        if sink:
            sink.close()
    spec.unlink(missing_ok=True)
    if done.returncode != 0:
        where = f"; see {log_path}" if log_path else ""
        raise RuntimeError(f"the {gpus}-rank FSDP fine-tune failed (exit {done.returncode}){where}")
    return read_json(train_dir / "metrics.json")


def main(argv: list[str]) -> None:
    from sftlab.lm.load import log_peak_gpu_memory
    from sftlab.train.run import train_sft

    rank = int(os.environ.get("RANK", "0"))
    logging.basicConfig(
        level=logging.INFO if rank == 0 else logging.WARNING,
        format=f"%(asctime)s rank{rank} %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    logging.captureWarnings(True)
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    train_sft(**job)
    log_peak_gpu_memory()


if __name__ == "__main__":
    main(sys.argv[1:])
