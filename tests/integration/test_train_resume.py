"""Safe resume: checkpoints of another trajectory are discarded, torn ones skipped."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from transformers import TrainerCallback

from sftlab.testing.tiny_models import sft_task
from sftlab.train import train_sft

SETTINGS = {
    "method": "lora",
    "sft": {"max_steps": 8, "save_steps": 2, "per_device_train_batch_size": 4},
}


class Interrupt(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 5:
            raise KeyboardInterrupt("killed")


class Saves(TrainerCallback):
    def __init__(self):
        self.steps = []

    def on_save(self, args, state, control, **kwargs):
        self.steps.append(state.global_step)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return sft_task(tmp_path_factory.mktemp("resume"))


def killed_at_step_5(base, tmp_path, settings=SETTINGS):
    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        train_sft(*run_args(base, tmp_path, settings), ckpt, callbacks=[Interrupt()])
    assert (ckpt / "checkpoint-4").is_dir() and (ckpt / "fingerprint.json").is_file()
    return ckpt


def run_args(base, tmp_path, settings):
    return base["entry"], base["data"], settings, tmp_path / "adapter", tmp_path / "train"


def test_a_changed_batch_size_after_a_kill_discards_the_checkpoint(base, tmp_path, caplog):
    ckpt = killed_at_step_5(base, tmp_path)
    smaller = {**SETTINGS, "sft": {**SETTINGS["sft"], "per_device_train_batch_size": 2}}
    caplog.set_level("WARNING", logger="sftlab.train.checkpoints")
    metrics = train_sft(*run_args(base, tmp_path, smaller), ckpt)
    assert metrics["resumed_from"] is None
    assert "discarding checkpoints" in caplog.text and "fingerprint" in caplog.text
    losses = pl.read_parquet(tmp_path / "train" / "loss.parquet")
    assert losses["step"].to_list() == list(range(1, 9))


def test_a_changed_set_discards_the_checkpoint(base, tmp_path):
    ckpt = killed_at_step_5(base, tmp_path)
    other = tmp_path / "other.jsonl"
    other.write_text(base["data"].read_text().replace("red", "purple"))
    args = (base["entry"], other, SETTINGS, tmp_path / "adapter", tmp_path / "train")
    assert train_sft(*args, ckpt)["resumed_from"] is None


KILL_DURING_SAVE = """
import os, signal, sys
from transformers import Trainer
from sftlab.train import train_sft

save_rng = Trainer._save_rng_state

def torn(self, output_dir):  # weights and optimizer are on disk, trainer_state.json is not yet
    if self.state.global_step == 6:
        os.kill(os.getpid(), signal.SIGKILL)
    save_rng(self, output_dir)

Trainer._save_rng_state = torn
train_sft({entry!r}, {data!r}, {settings!r}, {out!r} + "/adapter", {out!r} + "/train", {ckpt!r})
"""


def test_a_kill_during_a_save_resumes_from_the_newest_complete_checkpoint(base, tmp_path):
    ckpt = tmp_path / "ckpt"
    settings = {**SETTINGS, "sft": {**SETTINGS["sft"], "save_total_limit": 2}}
    script = tmp_path / "kill.py"
    script.write_text(
        textwrap.dedent(KILL_DURING_SAVE).format(
            entry=base["entry"],
            data=str(base["data"]),
            settings=settings,
            out=str(tmp_path),
            ckpt=str(ckpt),
        )
    )
    killed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert (ckpt / "checkpoint-6").is_dir() and not (
        ckpt / "checkpoint-6" / "trainer_state.json"
    ).exists()
    metrics = train_sft(*run_args(base, tmp_path, settings), ckpt)
    assert metrics["resumed_from"].endswith("checkpoint-4")
    losses = pl.read_parquet(tmp_path / "train" / "loss.parquet")
    assert losses["step"].to_list() == list(range(1, 9))
    assert json.loads((tmp_path / "train" / "metrics.json").read_text())["resumed_from"]


def test_a_run_shorter_than_the_checkpoint_interval_writes_no_checkpoint(base, tmp_path):
    saves = Saves()
    short = {**SETTINGS, "sft": {**SETTINGS["sft"], "save_steps": 50}}
    train_sft(*run_args(base, tmp_path, short), tmp_path / "ckpt", callbacks=[saves])
    assert saves.steps == []
    every_two = Saves()
    train_sft(*run_args(base, tmp_path, SETTINGS), tmp_path / "ckpt2", callbacks=[every_two])
    assert every_two.steps == [2, 4, 6]  # not 8: the last step saves the final weights instead


def test_a_rebuilt_local_base_model_discards_the_checkpoint(base, tmp_path):
    ckpt = killed_at_step_5(base, tmp_path)
    weights = Path(base["entry"]["path"]) / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert train_sft(*run_args(base, tmp_path, SETTINGS), ckpt)["resumed_from"] is None
