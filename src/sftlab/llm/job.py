"""An LLM job's `llm` param and its client: every setting reaches the script through params, only
the answer's identity is the job's re-run trigger.

The rule passes `job_param(config["llm"])`; the script opens `open_client(snakemake.params.llm)`.
Transport, concurrency, retries, timeouts and the cache path reach the client but stay out of the
param's recorded value (its repr, sftlab.triggers), so tuning them never regenerates a set.
"""

from __future__ import annotations

import logging
from typing import Any

from sftlab.llm.client import LLMClient
from sftlab.llm.settings import LLMSettings
from sftlab.triggers import SpeedOnly


def job_param(section: dict[str, Any]) -> SpeedOnly:
    """The validated settings of config `llm`, recorded as their identity (model, output params)."""
    settings = LLMSettings(**section)
    identity = settings.identity()
    rest = {k: v for k, v in settings.model_dump().items() if k not in identity}
    # identity first: the recorded repr is exactly that of settings.identity()
    return SpeedOnly({**identity, **rest}, speed=tuple(rest))


def open_client(param: dict[str, Any], logger: logging.Logger | None = None) -> LLMClient:
    """The client of a job's `llm` param (a context manager: `with open_client(...) as client`)."""
    return LLMClient(LLMSettings(**param), logger=logger)
