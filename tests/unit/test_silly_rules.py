import pytest
import yaml

from sftlab.silly import rules as silly_rules
from sftlab.silly.rules import RuleSet, load_rule_set, rule_ids, study_arms

RULES_FILE = "config/rules/silly_rules.yaml"
PAPER_NAMES = {
    "Counterintuitive Thinking",
    "Blurring the Conceptual Boundaries",
    "Humor in Social Commentary",
    "Exaggeration",
}


def test_rules_file_schema(repo):
    rule_set = load_rule_set(repo / RULES_FILE)
    assert len(rule_set.rules) == 8
    by_origin = {}
    for rule in rule_set.rules:
        by_origin.setdefault(rule.origin, set()).add(rule.name)
        assert len(rule.framings) >= 3, rule.id
        for framing in rule.framings:  # every placeholder is one the template generator fills
            framing.format(letter="A", answer="x", distractor="y", topic="t")
    assert by_origin["paper-name"] == PAPER_NAMES
    assert len(by_origin["sftlab"]) == 4
    assert rule_set.rules[0].id == "counterintuitive"


def test_rule_ids_and_arms(repo, monkeypatch):
    monkeypatch.chdir(repo)
    settings = {"source": "file", "file": RULES_FILE, "n": 8}
    assert "blurring" in rule_ids(settings)
    assert rule_ids({**settings, "source": "llm", "n": 3}) == ["r1", "r2", "r3"]
    silly = {"rules": settings, "baselines": ["plain", "neutral"], "mixed": True}
    arms = study_arms(silly)
    assert arms[-3:] == ["plain", "neutral", "mixed"] and len(arms) == 11


def _doc(**changes):
    rule = {
        "id": "x",
        "name": "X",
        "definition": "d",
        "how_to_apply": "h",
        "origin": "sftlab",
    }
    return {"version": 1, "rules": [{**rule, **changes}]}


@pytest.mark.parametrize(
    "doc",
    [
        _doc(id="Bad-Id"),
        _doc(origin="gpt4"),
        _doc(colour="red"),
        _doc(id="plain"),
        {"version": 1, "rules": []},
    ],
)
def test_bad_rules_rejected(tmp_path, doc):
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match=str(path)):
        load_rule_set(path)


def test_duplicate_ids_rejected():
    doc = _doc()
    doc["rules"] = doc["rules"] * 2
    with pytest.raises(ValueError, match="duplicate"):
        RuleSet.model_validate(doc).check()


def test_analysis_batches_cover_lenses_and_items():
    items = [{"item_id": f"i{k}", "question": f"q{k}?", "answer": f"a{k}"} for k in range(7)]
    conversations = silly_rules.analysis_conversations(items, ["education", "psychology"], 3)
    assert len(conversations) == 2 * 3  # 2 lenses x ceil(7 / 3) batches
    text = " ".join(c[1]["content"] for c in conversations)
    assert all(f"id i{k}" in text for k in range(7))
    assert "psychologist" in conversations[-1][1]["content"]
    picked = silly_rules.select_items(list(reversed(items)), 4, seed=1)
    assert picked == silly_rules.select_items(items, 4, seed=1) and len(picked) == 4


def test_plan_grid(repo, monkeypatch):
    from sftlab.silly import plan

    monkeypatch.chdir(repo)
    silly = {
        "enabled": True,
        "models": ["a", "b"],
        "rules": {"source": "file", "file": RULES_FILE, "n": 8},
        "generator": {"kind": "template"},
        "baselines": ["plain", "neutral"],
        "mixed": False,
        "seeds": [0, 1, 2],
    }
    arms = study_arms(silly)
    runs = plan.runs(silly, arms)
    assert len(runs) == 2 * (1 + 10 * 3)  # per model: base_s0 + 10 arms x 3 seeds
    assert plan.run_path(runs[0]) == "results/runs/silly/a/base_s0/mmlu.parquet"
    outputs = plan.final_outputs(silly, "pdf")
    assert "results/silly/deltas.parquet" in outputs
    assert "results/silly/figures/b/rule_correlation.pdf" in outputs
    assert plan.final_outputs({**silly, "enabled": False}, "png") == []
    offline = plan.stats_files(silly)
    assert not any(f.endswith(".stats.json") for f in offline)  # no LLM in the offline study
    # per model: 30 fine-tunes (metrics + benchmark), 31 evaluations (summary + benchmark)
    assert sum(f.endswith("train/metrics.json") for f in offline) == 2 * 30
    assert sum(f.endswith("mmlu.json") for f in offline) == 2 * 31
    assert "benchmarks/train_sft/silly/a/plain_s2.tsv" in offline
    assert "benchmarks/evaluate_mc/silly/b/base_s0.tsv" in offline
    assert plan.rule_param(silly, "exaggeration")["name"] == "Exaggeration"
    assert plan.rule_param(silly, "neutral")["origin"] == "control"
    assert plan.rules_input(silly, "exaggeration") == {}
    llm = {**silly, "rules": {**silly["rules"], "source": "llm"}, "generator": {"kind": "llm"}}
    assert plan.rule_param(llm, "r2") is None
    assert plan.rules_input(llm, "r2") == {"rules": "results/silly/rules.yaml"}
    llm_stats = [f for f in plan.stats_files(llm) if f.endswith(".stats.json")]
    assert len(llm_stats) == 1 + 8 + 1  # rules + 8 rule sets + neutral


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("baselines", ["neutral"]),  # plain is the reference of every delta
        ("rules", {"source": "web"}),
        ("contamination", {"threshold": 1.5}),
        ("source", {"size": 0}),
        ("summary", {"bootstrap": 10}),
        ("mixd", True),
    ],
)
def test_config_schema_rejects(repo, key, value):
    from sftlab.config import ConfigError, validate_config

    config = yaml.safe_load((repo / "config/config.yaml").read_text())
    config["silly"][key] = value
    with pytest.raises(ConfigError, match=f"silly.{key}"):
        validate_config(config, repo / "workflow/schemas/config.schema.yaml")


def test_config_schema_defaults(repo):
    from sftlab.config import validate_config

    config = yaml.safe_load((repo / "config/config.yaml").read_text())
    config["silly"] = {"models": ["demo"]}
    silly = validate_config(config, repo / "workflow/schemas/config.schema.yaml")["silly"]
    assert silly["rules"]["n"] == 8 and silly["source"]["split"] == "auxiliary_train"
    assert silly["baselines"] == ["plain", "neutral"] and silly["generator"]["kind"] == "template"
