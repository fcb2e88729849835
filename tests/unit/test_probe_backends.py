"""Backend plumbing without an engine: stop-on-hit's hit test and stop strings, the missing-vLLM
message, the resources a backend asks for (the completions client against a server:
tests/integration/test_completions_client.py)."""

import pytest

from sftlab.evaluate.match import MatchSettings, is_hit
from sftlab.memory.backends import open_backend
from sftlab.memory.backends.hits import HitTest, stop_strings
from sftlab.memory.backends.server import _sample


def test_hit_test_is_decided_only_when_no_continuation_can_undo_it():
    plain = HitTest(["Vemor City", "Vemor"], MatchSettings())
    assert plain.decided("It is vemor") and not plain.decided("It is Vem")
    words = HitTest(["Vemor"], MatchSettings(whole_words=True))
    assert not words.decided("It is Vemor")  # may still grow into "Vemorian"
    assert words.decided("It is Vemor, the") and is_hit("It is Vemor, the", "Vemor", words.settings)


def test_stop_strings_only_stop_hits():
    forms = stop_strings(["Vemor City"], MatchSettings())
    assert forms == ["Vemor City", "vemor city"]
    assert all(is_hit(f"x {f}", "Vemor City") for f in forms)
    assert stop_strings(["Vemor"], MatchSettings(whole_words=True)) == []


def test_server_sample_puts_a_stripped_hit_stop_back():
    from sftlab.llm.completions import Choice

    sample = _sample(Choice("It is ", "stop", "Vemor"), ["Vemor"])
    assert (sample.text, sample.finish) == ("It is Vemor", "hit")
    assert _sample(Choice("It is", "length"), ["Vemor"]).finish == "length"


def test_missing_vllm_names_the_install_command(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'vllm>=0\.10'.*envs/vllm\.yaml"):
        open_backend("vllm", {}, {"name": "m", "path": "."}, 1)


def test_gpu_check_script_skips_cleanly_without_cuda(capsys, monkeypatch):
    import importlib.util
    from pathlib import Path

    import torch

    path = Path(__file__).resolve().parents[2] / "bench/gpu_check_probe.py"
    spec = importlib.util.spec_from_file_location("gpu_check_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("sys.argv", ["gpu_check_probe.py", "--model", "m"])
    module.main()
    assert "skipped (no CUDA device)" in capsys.readouterr().out


def test_job_resources_follow_the_backend():
    from sftlab.config import probe_settings
    from sftlab.memory.backends import job_env, job_gpus

    memory = {
        "probe": {"backend": "hf", "estimator": "sample", "samples": 10},
        "probe_overrides": {
            "big": {"backend": "vllm", "vllm": {"tensor_parallel_size": 4}},
            "far": {"backend": "server"},
        },
    }
    assert probe_settings(memory, "small") == {"backend": "hf", "samples": 10}
    assert [job_gpus(memory, m) for m in ("small", "big", "far")] == [1, 4, 0]
    assert [job_env(memory, m) for m in ("small", "big", "far")] == ["gpu", "vllm", "gpu"]
