"""LLM calls over litellm with a persistent answer cache (see client.py for the flow)."""

from sftlab.llm.answers import InvalidAnswer, extract_json, parse_answer
from sftlab.llm.cache import LLMCache, cache_key
from sftlab.llm.client import LLMClient
from sftlab.llm.job import job_param, open_client
from sftlab.llm.results import LLMError, LLMResult, check_failure_rate
from sftlab.llm.settings import LLMSettings

__all__ = [
    "InvalidAnswer",
    "LLMCache",
    "LLMClient",
    "LLMError",
    "LLMResult",
    "LLMSettings",
    "cache_key",
    "check_failure_rate",
    "extract_json",
    "job_param",
    "open_client",
    "parse_answer",
]
