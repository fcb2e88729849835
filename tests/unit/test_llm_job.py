"""An LLM job's `llm` param carries every setting to the script but records only the identity."""

from __future__ import annotations

import pydantic
import pytest

from sftlab.llm import LLMSettings, job_param, open_client

SECTION = {"model": "openai/m", "api_base": "http://127.0.0.1:9/v1", "temperature": 0, "seed": 3}


def test_recorded_value_is_the_identity_of_the_settings():
    # the value Snakemake records (repr) is exactly what rules recorded before job_param existed
    assert repr(job_param(SECTION)) == repr(LLMSettings(**SECTION).identity())


def test_transport_settings_are_no_trigger_but_output_parameters_are():
    base = repr(job_param(SECTION))
    tuned = {**SECTION, "concurrency": 2, "timeout_s": 5.0, "transport": "http", "max_retries": 0}
    assert repr(job_param(tuned)) == base
    assert repr(job_param({**SECTION, "max_tokens": 7})) != base


def test_client_gets_every_setting_of_the_section(tmp_path):
    section = {**SECTION, "concurrency": 2, "cache_path": str(tmp_path / "llm.sqlite")}
    with open_client(job_param(section)) as client:
        assert client.settings == LLMSettings(**section)
    assert (tmp_path / "llm.sqlite").exists()


def test_bad_section_fails_when_the_rule_builds_the_param():
    with pytest.raises(pydantic.ValidationError, match="concurrensy"):
        job_param({**SECTION, "concurrensy": 2})
