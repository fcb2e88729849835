"""The config schema rejects bad configs before any job runs, naming the key."""

import copy

import pytest
import yaml

from sftlab.config import ConfigError, validate_config

SCHEMA = "workflow/schemas/config.schema.yaml"


@pytest.fixture(scope="module")
def default_config(repo):
    with open(repo / "config/config.yaml") as handle:
        return yaml.safe_load(handle)


def validate(repo, config):
    return validate_config(config, repo / SCHEMA)


def test_default_config_is_valid_and_gets_defaults(repo, default_config):
    config = validate(repo, copy.deepcopy(default_config))
    assert config["plots"]["format"] == "png"
    assert config["models"]["demo"]["dtype"] == "auto"
    assert config["models"]["demo"]["trust_remote_code"] is False


def set_key(config, dotted, value):
    *parents, last = dotted.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


BAD = [
    # (dotted key, bad value, text the message must contain)
    ("colour", "blue", "colour"),
    ("plots.dpi", 10, "plots.dpi"),
    ("plots.format", "jpeg", "plots.format"),
    ("models.demo.dtype", "int8", "models.demo.dtype"),
    ("models.demo.kind", "instruct", "models.demo.kind"),
    ("models.demo.dtyp", "auto", "models.demo.dtyp"),
    ("models.demo.hub_id", "org/model", "models.demo"),
    ("models.demo.path", None, "models.demo"),
    ("memory.models", ["nonexistent"], "memory.models[0]"),
    ("memory.probe.samples", "ten", "memory.probe.samples"),
    ("memory.probe.temperature", -1, "memory.probe.temperature"),
    ("memory.levels.bins", [0, 0.5, 0.25, 1.0], "memory.levels.bins"),
    ("memory.levels.bins", [0, 0.5, 0.5, 1.0], "strictly increasing"),  # level (.5, .5] is empty
    ("memory.levels.bins", [0, 0.5, 0.9], "end at >= 1"),  # R = 1 would have no level
    ("memory.probe.backend", "server", "memory.probe.server.api_base"),
    ("memory.probe_overrides", {"demo": {"backend": "server"}}, "memory.probe.server.api_base"),
    ("llm.transport", "http", "needs llm.api_base"),
    ("llm.api_key_file", "~/.key", "llm.api_key_file: set llm.api_key_env"),
    ("train.method", "qlora", "train.method"),
    ("train.sft.learning_rate", "fast", "train.sft.learning_rate"),
    ("train.lora.r", 0, "train.lora.r"),
    ("evaluate.qa.max_new_tokens", 0, "evaluate.qa.max_new_tokens"),
    ("data.mmlu.source", "web", "data.mmlu.source"),
    ("data.on_bad_rows", "ignore", "data.on_bad_rows"),
    ("silly.generator.kind", "gpt", "silly.generator.kind"),
    ("silly.seeds", "0", "silly.seeds"),
    ("llm.concurrency", 0, "llm.concurrency"),
    ("llm.max_failure_rate", 2, "llm.max_failure_rate"),
    ("llm.api_base", "127.0.0.1:8000/v1", "llm.api_base"),  # no scheme
    ("demo.enabled", False, "data.entityquestions.source"),
    ("memory.probe_overrides", {"nope": {"samples": 3}}, "memory.probe_overrides.nope"),
    ("silly.train", {"sft": {"learning_rate": "fast"}}, "silly.train.sft.learning_rate"),
    ("memory.train", {"method": "qlora"}, "memory.train.method"),
    ("memory.train", {"sft": {"num_epochs": 3}}, "memory.train.sft.num_epochs"),
    ("memory.probe_overrides", {"demo": {"sample": 3}}, "memory.probe_overrides.demo.sample"),
]


@pytest.mark.parametrize(("key", "value", "expected"), BAD, ids=[b[2] for b in BAD])
def test_bad_config_is_rejected_naming_the_key(repo, default_config, key, value, expected):
    config = copy.deepcopy(default_config)
    set_key(config, key, value)
    if key == "llm.api_key_file":
        set_key(config, "llm.api_key_env", "MY_KEY")
    with pytest.raises(ConfigError) as info:
        validate(repo, config)
    assert expected in str(info.value)


@pytest.mark.parametrize("bins", [[0.0, 1.0], [0, 0.5, 1], [0.0, 0.1, 2.0]])
def test_strictly_increasing_bins_from_zero_to_one_are_accepted(repo, default_config, bins):
    config = copy.deepcopy(default_config)
    set_key(config, "memory.levels.bins", bins)
    assert validate(repo, config)["memory"]["levels"]["bins"] == bins


def test_a_server_probe_with_its_address_is_accepted(repo, default_config):
    config = copy.deepcopy(default_config)
    set_key(config, "memory.probe.backend", "server")
    set_key(config, "memory.probe.server.api_base", "http://127.0.0.1:8000/v1")
    assert validate(repo, config)["memory"]["probe"]["server"]["concurrency"] == 32


def test_every_schema_key_is_described_and_every_section_closed(repo):
    from sftlab.config import load_schema, reference_rows

    schema = load_schema(repo / SCHEMA)
    assert [key for key, _, _, text in reference_rows(schema) if not text] == []

    def open_sections(node, key):
        if "properties" in node and node.get("additionalProperties") is not False:
            yield key
        for name, sub in node.get("properties", {}).items():
            yield from open_sections(sub, f"{key}.{name}")
        if isinstance(node.get("additionalProperties"), dict):  # named entries (models.<name>)
            yield from open_sections(node["additionalProperties"], f"{key}.<name>")

    assert list(open_sections(schema, "<root>")) == []


def test_strings_from_the_command_line_become_the_types_the_schema_asks_for(repo, default_config):
    # snakemake --config 'llm={"concurrency": 64, "api_base": null}' passes nested values as strings
    config = copy.deepcopy(default_config)
    set_key(config, "llm.concurrency", "64")
    set_key(config, "llm.api_base", "null")
    set_key(config, "llm.json_mode", "false")
    set_key(config, "memory.sizes", ["20", "60"])
    set_key(config, "silly.train", {"sft": {"learning_rate": "3e-4"}})  # PyYAML's string 3e-4
    set_key(config, "llm.model", "123")  # a string key keeps its string
    validate(repo, config)
    assert config["llm"]["concurrency"] == 64 and config["llm"]["api_base"] is None
    assert config["llm"]["json_mode"] is False and config["memory"]["sizes"] == [20, 60]
    assert config["silly"]["train"]["sft"]["learning_rate"] == 3e-4
    assert config["llm"]["model"] == "123"


def test_readme_reference_matches_the_schema(repo):
    from sftlab.config import readme_with_reference, reference_markdown

    readme = (repo / "README.md").read_text()
    reference = reference_markdown(repo / SCHEMA)
    assert readme == readme_with_reference(readme, reference), "run `make docs`"


def test_demo_training_settings_apply_only_while_the_demo_is_on(repo, default_config):
    """demo.train reaches a study only with the demo enabled; a study's own train overrides win."""
    from sftlab.config import study_train

    config = validate(repo, copy.deepcopy(default_config))
    demo_sft = config["demo"]["train"]["memory"]["sft"]
    assert demo_sft["learning_rate"] != config["train"]["sft"]["learning_rate"]
    assert study_train(config, "memory")["sft"]["learning_rate"] == demo_sft["learning_rate"]
    config["demo"]["enabled"] = False
    assert (
        study_train(config, "memory")["sft"]["learning_rate"]
        == config["train"]["sft"]["learning_rate"]
    )
    config["demo"]["enabled"] = True
    config["memory"]["train"] = {"sft": {"learning_rate": 2e-5}}
    merged = study_train(config, "memory")
    assert merged["sft"]["learning_rate"] == 2e-5
    # the demo's, merged one level deep
    assert merged["sft"]["num_train_epochs"] == demo_sft["num_train_epochs"]
    assert merged["method"] == "full"


def test_bad_demo_training_setting_is_rejected_naming_the_key(repo, default_config):
    config = copy.deepcopy(default_config)
    config["demo"]["train"]["silly"]["method"] = "qlora"
    with pytest.raises(ConfigError, match=r"silly\.train\.method"):
        validate(repo, config)
