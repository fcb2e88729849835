"""A real OpenAI-compatible completions server for tests and benchmarks: `transformers serve` on a
local model folder, on a free port of 127.0.0.1 (the `transformers[serving]` extra)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def sampling_body(model_dir: Path) -> dict[str, str]:
    """Request fields that make transformers serve sample as the hf backend does.

    It samples only when the request's generation_config says so (measured with 5.24: temperature
    alone gave identical samples); that config replaces the model's, so it carries the model's
    end-of-text ids, and top_k 0 (its default is 50; the probe's is off).
    """
    config = json.loads((model_dir / "config.json").read_text())
    ids = {k: config[k] for k in ("eos_token_id", "pad_token_id", "bos_token_id") if k in config}
    return {"generation_config": json.dumps({**ids, "do_sample": True, "top_k": 0})}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def transformers_serve(model_dir: Path, log_path: Path, timeout_s: float = 240) -> Iterator[str]:
    """Start `transformers serve` on `model_dir`; yield its api_base; stop it on exit."""
    exe = shutil.which("transformers", path=str(Path(sys.executable).parent)) or "transformers"
    port = free_port()
    log = open(log_path, "w")  # noqa: SIM115 - closed below, after the server is gone
    server = subprocess.Popen(
        [exe, "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port)]
        + ["--device", "cpu"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"transformers serve exited: {log_path.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"transformers serve not up in {timeout_s} s") from None
                time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
