import pytest
import torch

from sftlab.lm.load import (
    AdapterMismatchError,
    ModelEntryError,
    load_model,
    load_tokenizer,
    pick_device,
    pick_dtype,
)
from sftlab.testing.tiny_models import CHAT_TEMPLATE, entry, save_model_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_model_dir(tmp_path_factory.mktemp("tiny") / "model")


def test_loads_a_local_model_in_eval_mode_on_the_cpu(model_dir):
    model, tokenizer = load_model(entry(model_dir), device="cpu")
    assert not model.training
    assert next(model.parameters()).dtype == torch.float32
    assert tokenizer.pad_token is not None


def test_dtype_and_device_are_chosen_at_run_time():
    assert pick_dtype("auto", torch.device("cpu")) == torch.float32
    assert pick_dtype("bfloat16", torch.device("cpu")) == torch.bfloat16
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_entry_without_path_or_hub_id_names_the_model():
    with pytest.raises(ModelEntryError, match="'nowhere'.*either 'path' or 'hub_id'"):
        load_model({"name": "nowhere"})


def test_missing_local_path_names_it(tmp_path):
    with pytest.raises(ModelEntryError, match="does not exist"):
        load_model(entry(tmp_path / "absent"))


def test_chat_template_override_from_string_and_file(model_dir, tmp_path):
    assert not load_tokenizer(entry(model_dir)).chat_template
    assert load_tokenizer(entry(model_dir, chat_template=CHAT_TEMPLATE)).chat_template
    path = tmp_path / "chat.jinja"
    path.write_text(CHAT_TEMPLATE)
    tokenizer = load_tokenizer(entry(model_dir, chat_template=str(path)))
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert text == "<|user|> hi\n<|assistant|> "


def test_adapter_folder_must_exist(model_dir, tmp_path):
    with pytest.raises(AdapterMismatchError, match="does not exist"):
        load_model(entry(model_dir), adapter=tmp_path / "no-adapter")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AdapterMismatchError, match="neither a PEFT adapter"):
        load_model(entry(model_dir), adapter=tmp_path / "empty")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_path_loads_bfloat16_on_cuda(model_dir):
    model, _ = load_model(entry(model_dir))
    param = next(model.parameters())
    assert param.device.type == "cuda" and param.dtype == torch.bfloat16
