"""Readiness before any job is queued, and hub models fetched ahead of offline GPU jobs (no network:
a local model folder, a hand-built Hugging Face cache, and the offline error path)."""

import json

import pytest
import yaml

from sftlab.config import deep_merge, validate_config
from sftlab.fetch import FetchError, fetch, is_fetched, local_snapshot
from sftlab.lm.load import ModelEntryError, load_tokenizer, source
from sftlab.readiness import NotReady, checks, llm_usage, report, require

HUB_ID = "sftlab-test/tiny"


def resolved(repo, *overrides):
    config = yaml.safe_load((repo / "config/config.yaml").read_text())
    for override in overrides:
        config = deep_merge(config, override)
    return validate_config(config, repo / "workflow/schemas/config.schema.yaml")


def paper_silly(repo):
    return resolved(repo, yaml.safe_load((repo / "config/paper_silly.yaml").read_text()))


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache; `add()` puts a snapshot of HUB_ID in it as a download would."""
    import huggingface_hub.constants as constants

    cache = tmp_path / "hub"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))

    def add() -> None:
        repo = cache / f"models--{HUB_ID.replace('/', '--')}"
        snapshot = repo / "snapshots" / ("0" * 40)
        snapshot.mkdir(parents=True)
        (repo / "refs").mkdir()
        (repo / "refs/main").write_text("0" * 40)
        (snapshot / "config.json").write_text(json.dumps({"model_type": "llama"}))
        (snapshot / "model.safetensors").write_bytes(b"")

    return add


def test_demo_config_is_ready(repo, tmp_path):
    found = checks(resolved(repo), tmp_path)
    assert all(c.ok for c in found), report(found)
    require(resolved(repo), tmp_path)


def test_missing_api_key_and_unfetched_model_refuse_the_run_naming_them(repo, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(NotReady) as err:
        require(paper_silly(repo))
    message = str(err.value)
    assert "LLM API key: $OPENAI_API_KEY" in message
    assert "model llama3-8b-instruct" in message and "fetch_models" in message
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    failing = {c.name for c in checks(paper_silly(repo), info=False) if not c.ok}
    assert failing == {"model llama3-8b-instruct"}


def test_disk_below_the_plan_peak_fails(repo, monkeypatch, tmp_path):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(1, 1, 0))
    disk = next(c for c in checks(resolved(repo), tmp_path / "not/yet") if c.name == "disk")
    assert not disk.ok and "plan peak" in disk.detail


def test_llm_tokens_and_cost_of_the_paper_silly_study(repo, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    calls, tokens_in, tokens_out = llm_usage(paper_silly(repo))
    # 2,000 items x (8 rules + neutral) rewrites + 3 lenses x 12 batches of 20 + 1 consolidation
    assert calls == 2000 * 9 + 3 * 12 + 1
    assert tokens_in > tokens_out > 0
    assert llm_usage(resolved(repo)) == (0, 0, 0), "the demo's template generator calls no LLM"


def test_fetched_model_loads_from_the_cache_offline(hub_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    entry = {"name": "tiny", "hub_id": HUB_ID}
    assert not is_fetched(HUB_ID, None) and source(entry) == HUB_ID
    hub_cache()
    assert is_fetched(HUB_ID, None)
    assert source(entry) == str(local_snapshot(HUB_ID, None))


def test_load_error_names_the_entry_and_the_fix(hub_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelEntryError) as err:
        load_tokenizer({"name": "tiny", "hub_id": HUB_ID})
    for part in ("models.tiny", HUB_ID, "fetch_models", "HF_TOKEN", "models.tiny.path"):
        assert part in str(err.value)


def test_fetch_without_network_names_the_entry(hub_cache, monkeypatch):
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(FetchError, match=r"models\.tiny: .*models\.tiny\.path"):
        fetch("tiny", HUB_ID, None)
