"""LLMSettings and workflow/schemas/llm.schema.yaml: the same keys with the same defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from sftlab.config import ConfigError, validate_config
from sftlab.llm import LLMSettings

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "llm.schema.yaml"


def test_schema_mirrors_settings():
    schema = yaml.safe_load(SCHEMA.read_text())
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(LLMSettings.model_fields)
    defaults = LLMSettings()
    for name, spec in schema["properties"].items():
        assert spec["description"], name
        assert spec["default"] == getattr(defaults, name), name


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


def test_output_params_exclude_transport_settings():
    params = LLMSettings().output_params()
    assert set(params) == {"temperature", "max_tokens", "top_p", "seed", "json_mode"}
