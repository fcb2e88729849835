"""LLMSettings: built from the config's `llm:` section, checks, transport choice and identity.

That its defaults equal the schema's is held by test_settings_defaults.py, with every other class.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from sftlab.config import ConfigError, validate_config
from sftlab.llm import LLMSettings

ROOT = Path(__file__).resolve().parents[2]


def test_default_config_llm_section_builds_settings():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    validate_config(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    settings = LLMSettings(**config["llm"])
    assert settings.cache_path.startswith(".sftlab-cache/")
    assert "results" not in Path(settings.cache_path).parts


def test_unknown_and_bad_keys_are_rejected():
    with pytest.raises(ConfigError, match="unknown key 'llm.concurency'"):
        validate_config(
            {"llm": {"concurency": 4}}, ROOT / "workflow" / "schemas" / "config.schema.yaml"
        )
    with pytest.raises(ValidationError):
        LLMSettings(concurency=4)
    with pytest.raises(ValidationError):
        LLMSettings(concurrency=0)
    with pytest.raises(ValidationError, match="api_base"):
        LLMSettings(api_base="localhost:8000/v1")


def test_output_params_exclude_transport_settings():
    params = LLMSettings().output_params()
    assert set(params) == {"temperature", "max_tokens", "top_p", "seed", "json_mode"}


@pytest.mark.parametrize(
    ("model", "api_base", "transport", "resolved"),
    [
        ("openai/qwen", "http://127.0.0.1:8000/v1", "auto", "http"),
        ("hosted_vllm/qwen", "http://127.0.0.1:8000/v1", "auto", "http"),
        ("openai/gpt-4o-mini", None, "auto", "litellm"),  # the provider's own API
        ("anthropic/claude-x", "http://gateway/v1", "auto", "litellm"),  # not OpenAI-shaped
        ("openai/qwen", "http://127.0.0.1:8000/v1", "litellm", "litellm"),
    ],
)
def test_transport_resolution(model, api_base, transport, resolved):
    settings = LLMSettings(model=model, api_base=api_base, transport=transport)
    assert settings.resolved_transport() == resolved


def test_served_model_drops_only_openai_compatible_prefixes():
    assert LLMSettings(model="openai/Qwen/Qwen2-7B").served_model() == "Qwen/Qwen2-7B"
    assert LLMSettings(model="hosted_vllm/m").served_model() == "m"
    assert LLMSettings(model="anthropic/claude-x").served_model() == "anthropic/claude-x"


def test_http_transport_needs_api_base():
    with pytest.raises(ValidationError, match="needs llm.api_base"):
        LLMSettings(transport="http")
    with pytest.raises(ConfigError, match=r"llm.transport: 'http' .* needs llm.api_base"):
        validate_config(
            {"llm": {"transport": "http"}}, ROOT / "workflow" / "schemas" / "config.schema.yaml"
        )


def test_identity_is_model_and_output_params_only():
    base = LLMSettings(model="openai/m", api_base="http://x/v1")
    tuned = base.model_copy(
        update={"transport": "litellm", "concurrency": 64, "timeout_s": 5.0, "max_retries": 0}
    )
    assert tuned.identity() == base.identity() == {"model": "openai/m", **base.output_params()}
    assert base.model_copy(update={"temperature": 0.7}).identity() != base.identity()
