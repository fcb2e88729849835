"""Turning a reply into a validated object, and an exception into a failure kind."""

from __future__ import annotations

import json
import re
import socket
import ssl
import sys
from typing import Any

from pydantic import BaseModel, ValidationError

from sftlab.llm.transport import EndpointError, OversizedReply

# how resolvers and TLS stacks word these failures where a wrapper (litellm) dropped the cause
DNS_WORDS = ("name or service not known", "temporary failure in name resolution",
             "nodename nor servname", "getaddrinfo failed", "no address associated")  # fmt: skip
TLS_WORDS = (
    "certificate_verify_failed",
    "sslerror",
    "wrong_version_number",
    "[ssl",
    "ssl handshake",
)

FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class InvalidAnswer(ValueError):
    """The reply is not JSON, or does not match the schema; the message says why, briefly."""


def extract_json(text: str) -> Any:
    """Parse a reply as JSON, tolerating a ```json fence or prose around one object."""
    candidates = [text.strip()]
    candidates += [m.strip() for m in FENCE.findall(text)]
    first, last = text.find("{"), text.rfind("}")
    if 0 <= first < last:
        candidates.append(text[first : last + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
        except RecursionError:  # e.g. 100k nested brackets: not an answer, and not a crash
            raise InvalidAnswer("the reply nests JSON too deeply to parse") from None
    raise InvalidAnswer("the reply is not valid JSON")


def parse_answer(text: str, schema: type[BaseModel], context: Any = None) -> BaseModel:
    if not isinstance(text, str):
        raise InvalidAnswer(f"the reply is a {type(text).__name__}, not text")
    try:
        return schema.model_validate(extract_json(text), context=context)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in error.errors()
        )
        raise InvalidAnswer(f"the JSON does not match the schema ({problems})") from None


def classify(error: BaseException) -> tuple[str, bool]:
    """(failure kind, retryable) for an exception raised by either transport.

    Network failures say which: dns (retried: cluster resolvers fail transiently), tls (not
    retried: a certificate or an https URL to a plain-http server stays wrong), connection.
    """
    if isinstance(error, EndpointError):
        return _by_status(error.status_code)
    if isinstance(error, OversizedReply):
        return "oversized", False
    if isinstance(error, TimeoutError):  # asyncio's and aiohttp's timeouts too
        return "timeout", True
    network = network_kind(error)
    if network == "tls":
        return "tls", False
    if network == "dns":
        return "dns", True
    litellm = sys.modules.get("litellm")  # imported only where the litellm transport ran
    found = _classify_litellm(error, litellm) if litellm is not None else None
    if found is not None:
        return found
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None and isinstance(error, aiohttp.InvalidURL):
        return "bad_request", False
    if aiohttp is not None and isinstance(error, aiohttp.ClientError):
        return "connection", True  # refused, reset, disconnected, truncated body
    return "other", False


def network_kind(error: BaseException) -> str | None:
    """ "dns" or "tls" when the error, or one it was raised from, is a resolver or TLS failure."""
    aiohttp = sys.modules.get("aiohttp")
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError) or (
            aiohttp is not None and isinstance(current, aiohttp.ClientSSLError)
        ):
            return "tls"
        if isinstance(current, socket.gaierror) or (
            aiohttp is not None and isinstance(current, aiohttp.ClientConnectorDNSError)
        ):
            return "dns"
        current = current.__cause__ or current.__context__
    text = str(error).lower()
    if any(word in text for word in DNS_WORDS):
        return "dns"
    if any(word in text for word in TLS_WORDS):
        return "tls"
    return None


def _by_status(status: int) -> tuple[str, bool]:
    if status == 429:
        return "rate_limit", True
    if status == 408:
        return "timeout", True
    if status >= 500 or status < 400:  # < 400: a 2xx whose body is not a chat completion
        return "server_error", True
    if status in (401, 403):
        return "auth", False
    return "bad_request", False


def _classify_litellm(error: BaseException, litellm: Any) -> tuple[str, bool] | None:
    if isinstance(error, litellm.RateLimitError):
        return "rate_limit", True
    if isinstance(error, litellm.Timeout):
        return "timeout", True
    if isinstance(error, litellm.APIConnectionError):
        return "connection", True
    server_errors = (
        litellm.InternalServerError,
        litellm.ServiceUnavailableError,
        litellm.BadGatewayError,
    )
    status = getattr(error, "status_code", None)
    if isinstance(error, server_errors) or (isinstance(status, int) and status >= 500):
        return "server_error", True
    if isinstance(error, litellm.AuthenticationError | litellm.PermissionDeniedError):
        return "auth", False
    if isinstance(error, litellm.BadRequestError | litellm.NotFoundError):
        return "bad_request", False
    return None


def retry_after_s(error: BaseException) -> float | None:
    """The server's Retry-After in seconds, when the error carries one."""
    if isinstance(error, EndpointError):
        return error.retry_after
    headers = getattr(error, "litellm_response_headers", None)
    response = getattr(error, "response", None)
    if headers is None and response is not None:
        headers = getattr(response, "headers", None)
    try:
        value = headers.get("retry-after") if headers is not None else None
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None
