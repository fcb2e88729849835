"""Import litellm once, quietly, offline, and with every log line scrubbed of secrets.

- LITELLM_LOCAL_MODEL_COST_MAP: litellm otherwise fetches its price table from GitHub at import
  (three attempts, seconds of delay offline); the packaged table keeps cost accounting reproducible.
- litellm's own loggers and the HTTP stacks under it log at WARNING at most; secrets are scrubbed
  from every log record by sftlab.logs.register_secret (re-exported here).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from sftlab.logs import redact, register_secret

QUIET_LOGGERS = (
    "LiteLLM",
    "LiteLLM Router",
    "LiteLLM Proxy",
    "openai",
    "httpx",
    "httpcore",
    "aiohttp",
)
__all__ = ["litellm", "quiet_loggers", "redact", "register_secret"]

_lock = threading.Lock()
_module: Any = None
_quiet = False


def quiet_loggers() -> None:
    """Cap the HTTP stacks' loggers at WARNING (once)."""
    global _quiet
    with _lock:
        if _quiet:
            return
        for name in QUIET_LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(max(logger.level, logging.WARNING))
        _quiet = True


def litellm() -> Any:
    """The configured litellm module (imported on first use: it takes seconds)."""
    global _module
    quiet_loggers()  # before the import, which already logs
    with _lock:
        if _module is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            import litellm as module

            module.suppress_debug_info = True  # no "Give Feedback / Get Help" prints
            # no logging callbacks are registered, so there is nothing to redact messages for; the
            # redaction deep-copies every request (about 1/8 of litellm's CPU per call, profiled)
            module.turn_off_message_logging = False
            module.telemetry = False
            _module = module
        return _module
