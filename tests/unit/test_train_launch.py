"""A fine-tune launched as several ranks (accelerate launch, gloo on the CPU) matches one process.

On CPUs accelerate runs the ranks data-parallel (it shards with FSDP only on accelerator devices):
this checks the launcher, the per-rank entry, rank 0's outputs and the gathered save; the FSDP
sharding itself runs in bench/gpu_check_train.py on a GPU.
"""

import polars as pl
import pytest
import torch
from transformers import AutoModelForCausalLM

from sftlab.testing.tiny_models import entry, save_model_dir, write_sft_set
from sftlab.train import train_sft
from sftlab.train.launch import launch_command, train_sft_launched

LAUNCH = "config/launch/fsdp.yaml"


def settings(batch):
    return {
        "method": "full",
        "precision": "fp32",
        "sft": {"learning_rate": 1e-3, "max_steps": 4, "per_device_train_batch_size": batch},
    }


@pytest.mark.slow
def test_two_ranks_give_the_loss_curve_of_one_process_and_a_loadable_model(tmp_path):
    model = entry(save_model_dir(tmp_path / "model"))
    data = write_sft_set(tmp_path / "set.jsonl")
    one, two = tmp_path / "one", tmp_path / "two"
    train_sft(model, data, settings(4), one / "adapter", one / "train", one / "ckpt")
    metrics = train_sft_launched(
        2,
        LAUNCH,
        tmp_path / "launch.log",
        threads=2,
        entry=model,
        data_path=str(data),
        settings=settings(2),  # 2 ranks x 2 = the single process's batch of 4
        adapter_dir=str(two / "adapter"),
        train_dir=str(two / "train"),
        ckpt_dir=str(two / "ckpt"),
        seed=0,
    )
    assert "world_size: 2" in (two / "train" / "config.yaml").read_text()
    single = pl.read_parquet(one / "train" / "loss.parquet")["loss"].to_list()
    ranks = pl.read_parquet(two / "train" / "loss.parquet")["loss"].to_list()
    assert len(single) == len(ranks) == 4 and single[-1] < single[0]
    # Logged losses differ by <0.3 %: each rank averages its own tokens, then the ranks are
    # averaged (gradients use the global token count); another data order differs by ~10 %.
    assert ranks == pytest.approx(single, rel=1e-2)
    assert metrics["final_loss"] == pytest.approx(single[-1], rel=1e-2)
    start = AutoModelForCausalLM.from_pretrained(tmp_path / "model").state_dict()
    a = AutoModelForCausalLM.from_pretrained(one / "adapter").state_dict()
    b = AutoModelForCausalLM.from_pretrained(two / "adapter").state_dict()
    assert a.keys() == b.keys()
    # The same updates up to summation order (measured cosine 0.994); single elements can differ by
    # a whole step where AdamW normalises a near-zero gradient, so no element-wise tolerance.
    update_a = torch.cat([(a[k] - start[k]).flatten() for k in a])
    update_b = torch.cat([(b[k] - start[k]).flatten() for k in a])
    assert torch.nn.functional.cosine_similarity(update_a, update_b, dim=0) > 0.95
    assert not (two / "ckpt").exists() and not (two / "train" / "launch_spec.json").exists()


def test_launch_command_names_the_config_ranks_and_entry(tmp_path):
    command = launch_command(tmp_path / "spec.json", 4, LAUNCH)
    assert command[1:3] == ["-m", "accelerate.commands.launch"]
    assert command[command.index("--num_processes") + 1] == "4"
    assert command[command.index("--config_file") + 1] == LAUNCH
    assert command[-3:] == ["--module", "sftlab.train.launch", str(tmp_path / "spec.json")]
