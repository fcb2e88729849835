"""Where the API key comes from: a named variable, an owner-only file, or nowhere (a custom server).

Every key read is registered with sftlab.logs.register_secret before it is used, so no log record,
failure message or stored reply can carry it.
"""

from __future__ import annotations

import os
from pathlib import Path

from sftlab.llm import _litellm
from sftlab.llm.results import LLMError
from sftlab.llm.settings import LLMSettings

NO_KEY = "EMPTY"  # what OpenAI-compatible servers without authentication accept


def api_key(settings: LLMSettings) -> str:
    """The key from the variable `settings.key_variable()` names, registered for log scrubbing.

    No variable (an api_base without api_key_env): "EMPTY", which local servers accept. A named
    variable that is unset or empty is an LLMError naming the variable, never a value.
    """
    if settings.api_key_file is not None:
        return _key_from_file(Path(settings.api_key_file).expanduser())
    variable = settings.key_variable()
    if variable is None:
        return NO_KEY
    key = os.environ.get(variable, "")
    if not key:
        raise LLMError(
            f"no API key: set the environment variable {variable} (llm.api_key_env names it"
            f"{'' if settings.api_key_env else '; null means <PROVIDER>_API_KEY'})"
        )
    _litellm.register_secret(key)
    return key


def _key_from_file(path: Path) -> str:
    """The first line of `path`, which only its owner may read (as ssh demands of its keys)."""
    try:
        mode = path.stat().st_mode
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise LLMError(f"llm.api_key_file {path}: cannot read it ({error.strerror})") from None
    if mode & 0o077:
        raise LLMError(f"llm.api_key_file {path}: readable by others; run chmod 600 {path}")
    key = lines[0].strip() if lines else ""
    if not key:
        raise LLMError(f"llm.api_key_file {path}: empty (the key goes on the first line)")
    _litellm.register_secret(key)
    return key
