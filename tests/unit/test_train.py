import json

import polars as pl
import pytest
from transformers import TrainerCallback

from sftlab.evaluate.mc import MCSettings, evaluate_mc
from sftlab.evaluate.qa import QASettings, evaluate_qa
from sftlab.lm.load import AdapterMismatchError, load_model
from sftlab.testing.tiny_models import (
    entry,
    mmlu_items,
    qa_items,
    save_model_dir,
    sft_task,
)
from sftlab.train import SFTDataError, build_configs, oom_advice, train_sft

# 8 facts, batch 4: 2 steps per epoch; 40 epochs at a high rate memorise them.
SETTINGS = {
    "lora": {
        "method": "lora",
        "sft": {"learning_rate": 3e-2, "num_train_epochs": 40, "per_device_train_batch_size": 4},
        "lora": {"r": 8, "lora_alpha": 16, "lora_dropout": 0.0, "target_modules": "all-linear"},
    },
    "full": {
        "method": "full",
        "sft": {"learning_rate": 1e-2, "num_train_epochs": 40, "per_device_train_batch_size": 4},
    },
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return sft_task(tmp_path_factory.mktemp("train"))


@pytest.fixture(scope="module", params=["lora", "full"])
def run(request, base):
    out = base["root"] / request.param
    metrics = train_sft(
        base["entry"],
        base["data"],
        SETTINGS[request.param],
        out / "adapter",
        out / "train",
        base["root"] / ".ckpt" / request.param,
        seed=0,
    )
    return {"method": request.param, "out": out, "metrics": metrics}


def test_outputs_are_written(run, base):
    out = run["out"]
    weights = "adapter_model" if run["method"] == "lora" else "model"
    assert (out / "adapter" / f"{weights}.safetensors").is_file()
    losses = pl.read_parquet(out / "train" / "loss.parquet")
    assert losses["step"].to_list() == list(range(1, 81))
    assert losses["loss"][-1] < losses["loss"][0]
    provenance = json.loads((out / "train" / "provenance.json").read_text())
    assert len(provenance["data"]["sha256"]) == 64 and provenance["packages"]["trl"]
    assert (out / "train" / "config.yaml").read_text().count("learning_rate") == 1
    assert not (base["root"] / ".ckpt" / run["method"]).exists()  # checkpoints removed


def test_fine_tune_raises_accuracy_on_its_training_answers(run, base):
    items = qa_items()
    settings = QASettings(max_new_tokens=4)
    model, tok = load_model(base["entry"], device="cpu")
    before = evaluate_qa(model, tok, items, settings)["correct"].mean()
    model, tok = load_model(base["entry"], adapter=run["out"] / "adapter", device="cpu")
    after = evaluate_qa(model, tok, items, settings)["correct"].mean()
    assert before <= 0.25 and after >= before + 0.5


def test_multiple_choice_runs_on_the_fine_tuned_model(run, base):
    items = mmlu_items(dev=2, test=3)
    settings = MCSettings(num_fewshot=1)
    model, tok = load_model(base["entry"], device="cpu")
    before = evaluate_mc(model, tok, items, settings)
    model, tok = load_model(base["entry"], adapter=run["out"] / "adapter", device="cpu")
    after = evaluate_mc(model, tok, items, settings)
    assert after.height == before.height == 6
    assert after["logprobs"].to_list() != before["logprobs"].to_list()


def test_adapter_on_another_base_model_fails_naming_both(run, base, tmp_path):
    other = entry(save_model_dir(tmp_path / "other", hidden=48), name="other")
    with pytest.raises(AdapterMismatchError, match="trained from model 'tiny'.*'other'"):
        load_model(other, adapter=run["out"] / "adapter", device="cpu")


class Interrupt(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 5:
            raise KeyboardInterrupt("killed")


def test_rerun_after_a_kill_resumes_from_the_last_checkpoint(base, tmp_path):
    settings = {
        "method": "lora",
        "sft": {"max_steps": 8, "save_steps": 2, "per_device_train_batch_size": 4},
    }
    args = (base["entry"], base["data"], settings, tmp_path / "adapter", tmp_path / "train")
    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        train_sft(*args, ckpt, seed=0, callbacks=[Interrupt()])
    assert (ckpt / "checkpoint-4").is_dir()
    metrics = train_sft(*args, ckpt, seed=0)
    assert metrics["resumed_from"].endswith("checkpoint-4")
    losses = pl.read_parquet(tmp_path / "train" / "loss.parquet")
    assert losses["step"].to_list() == list(range(1, 9))


def test_configs_take_trl_and_peft_field_names(tmp_path):
    sft, lora = build_configs(SETTINGS["lora"], tmp_path, seed=3)
    assert (sft.learning_rate, sft.seed, sft.data_seed, lora.r) == (3e-2, 3, 3, 8)
    assert sft.completion_only_loss and sft.bf16 is False
    assert build_configs(SETTINGS["full"], tmp_path, seed=0)[1] is None
    checkpointed = {**SETTINGS["full"], "sft": {"gradient_checkpointing": True}}
    sft, _ = build_configs(checkpointed, tmp_path, seed=0)  # the deprecated name still works
    assert sft.gradient_checkpointing is True
    with pytest.raises(ValueError, match="train.sft"):
        build_configs({"sft": {"learning_rat": 1.0}}, tmp_path, seed=0)
    with pytest.raises(ValueError, match="train.method"):
        build_configs({"method": "qlora"}, tmp_path, seed=0)


def test_oom_message_names_the_settings_to_lower(tmp_path):
    sft, _ = build_configs(SETTINGS["full"], tmp_path, seed=0)
    message = oom_advice(sft)
    for key in ("per_device_train_batch_size (now 4", "max_length", "gradient_checkpointing"):
        assert key in message


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "is empty"),
        ('{"prompt": "q", "completion": " a"}\n{"prompt": "q"', "line 2 is not valid JSON"),
        ('{"prompt": "q", "completion": ""}\n', "line 1: field 'completion'"),
    ],
)
def test_bad_sft_files_name_file_and_line(base, tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(SFTDataError, match=message) as err:
        train_sft(base["entry"], path, SETTINGS["lora"], tmp_path / "a", tmp_path / "t", tmp_path)
    assert str(path) in str(err.value)


def test_chat_set_needs_a_chat_template(base, tmp_path):
    path = tmp_path / "chat.jsonl"
    row = {
        "prompt": [{"role": "user", "content": "What colour is Vemor?"}],
        "completion": [{"role": "assistant", "content": "red"}],
    }
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(SFTDataError, match="no chat template"):
        train_sft(base["entry"], path, SETTINGS["lora"], tmp_path / "a", tmp_path / "t", tmp_path)
