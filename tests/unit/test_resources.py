"""GPU memory estimates, model sizes without network, and the plan's GPU-hours and disk."""

import copy
import json

import pytest
import yaml

from sftlab.config import ConfigError, validate_config
from sftlab.costs import plan_cost
from sftlab.resources import (
    GIB,
    KNOWN_MODELS,
    ModelSize,
    check_gpu_memory,
    estimate_training,
    min_gpus,
    model_size,
    params_from_hf_config,
)

LLAMA2_7B = {  # meta-llama/Llama-2-7b-hf config.json (the fields the count reads)
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}
FULL = {"method": "full", "sft": {"per_device_train_batch_size": 8, "max_length": 128}}


def paper(repo, name):
    config = {}
    for path in ("config/config.yaml", f"config/paper_{name}.yaml"):
        from sftlab.config import deep_merge

        config = deep_merge(config, yaml.safe_load((repo / path).read_text()))
    return validate_config(config, repo / "workflow/schemas/config.schema.yaml")


def test_parameter_count_from_config_json_matches_the_published_size():
    assert params_from_hf_config(LLAMA2_7B) == pytest.approx(6.74e9, rel=0.01)


def test_full_fine_tuning_needs_16_bytes_per_parameter_sharded_over_gpus():
    size = ModelSize(*KNOWN_MODELS["meta-llama/Llama-2-13b-hf"], source="table")
    one, four = estimate_training(size, FULL, 1), estimate_training(size, FULL, 4)
    assert one.states_gib == pytest.approx(16 * 13.02e9 / GIB)
    assert four.states_gib == pytest.approx(one.states_gib / 4)
    assert one.total_gib > 80 and four.total_gib < 80
    assert min_gpus(size, FULL, 80) == 3


def test_lora_needs_far_less_than_full_fine_tuning():
    size = ModelSize(*KNOWN_MODELS["meta-llama/Meta-Llama-3-8B"], source="table")
    lora = {**FULL, "method": "lora", "lora": {"r": 16}}
    assert (
        estimate_training(size, lora, 1).states_gib
        < estimate_training(size, FULL, 1).states_gib / 7
    )


def test_gradient_checkpointing_shrinks_activations():
    size = ModelSize(*KNOWN_MODELS["meta-llama/Llama-2-7b-hf"], source="table")
    plain = estimate_training(size, FULL, 1).activations_gib
    sft = {**FULL["sft"], "gradient_checkpointing": True}
    assert estimate_training(size, {**FULL, "sft": sft}, 1).activations_gib < plain / 4


def test_size_from_a_local_config_json_then_params_b_then_the_table(tmp_path, repo):
    config = paper(repo, "memory")
    (tmp_path / "config.json").write_text(json.dumps(LLAMA2_7B))
    local = model_size("m", {"path": str(tmp_path)}, config)
    assert local.source.endswith("config.json") and local.params == pytest.approx(6.74e9, rel=0.01)
    stated = model_size("m", {"hub_id": "org/unknown", "params_b": 3.0}, config)
    assert stated.params == 3e9 and stated.source == "params_b"
    with pytest.raises(ConfigError, match=r"models\.m: .*models\.m\.params_b"):
        model_size("m", {"hub_id": "org/unknown"}, config)


def test_a_plan_that_cannot_fit_fails_naming_the_knobs(repo):
    config = paper(repo, "memory")
    check_gpu_memory(config)  # the shipped GPU counts fit 80 GiB cards
    broken = copy.deepcopy(config)
    broken["models"]["llama2-13b"]["gpus"] = 1
    with pytest.raises(ConfigError) as err:
        check_gpu_memory(broken)
    message = str(err.value)
    for knob in ("models.llama2-13b.gpus: 3", "memory.train.method", "gpu_memory_gb"):
        assert knob in message
    smaller_cards = copy.deepcopy(config)
    smaller_cards["cluster"]["gpu_memory_gb"] = 40
    with pytest.raises(ConfigError, match="llama2-7b"):
        check_gpu_memory(smaller_cards)


def test_plan_cost_of_the_paper_configs(repo):
    config = paper(repo, "memory")
    assert config["train"]["keep_weights"] is False  # the default: weights go once evaluated
    config["train"]["keep_weights"] = True
    memory = plan_cost(config)
    # 420 full fine-tunes kept as bf16 weights: 105 each of 6.74B, 13.02B, 8.03B, 7.62B x 2 bytes
    kept = 105 * (6.74e9 + 13.02e9 + 8.03e9 + 7.62e9) * 2 / GIB
    assert memory.disk_gib["memory run weights"] == pytest.approx(kept)
    assert set(memory.gpu_hours) == {"memory probing", "memory fine-tunes", "memory evaluations"}
    assert 50 < memory.total_gpu_hours < 1000
    silly = plan_cost(paper(repo, "silly"))
    assert silly.disk_gib["base models"] == pytest.approx(8.03e9 * 2 / GIB)
    assert silly.peak_disk_gib < plan_cost(paper(repo, "memory")).peak_disk_gib / 10


def test_weights_deleted_after_evaluation_leave_only_running_jobs_on_disk(repo):
    config = paper(repo, "memory")
    config["train"]["keep_weights"] = False
    cost = plan_cost(config)
    assert cost.disk_gib["memory run weights"] == 0
    assert cost.disk_gib["one running fine-tune"] == pytest.approx(13.02e9 * 14 / GIB)
