"""The demo world: deterministic heavy-tailed facts, released layouts, tokenizer, tiny model."""

import csv
import json
import re

import polars as pl
import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

from sftlab.demo import corpus, raw, validity, world
from sftlab.demo.pretrain import PretrainSettings, model_config, pretrain, prime_answer_marker
from sftlab.demo.tokenizer import MARKERS, train_tokenizer


@pytest.fixture(scope="module")
def doc(repo):
    return yaml.safe_load((repo / "config/demo/relations.yaml").read_text())


@pytest.fixture(scope="module")
def relations(doc):
    return world.load_relations(doc)


@pytest.fixture(scope="module")
def small(doc):
    return world.build_world(doc, SMALL)


SMALL = world.WorldSettings(seed=3, facts_per_relation=30, qa_pool_per_relation=10)


def test_same_seed_same_world_other_seed_other_world(doc, small):
    facts, pools = small
    again, pools_again = world.build_world(doc, SMALL)
    assert facts.equals(again) and pools == pools_again
    other, _ = world.build_world(doc, world.WorldSettings(seed=4, facts_per_relation=30))
    assert not facts.equals(other)


def test_relations_match_the_configured_domains(repo, relations):
    config = yaml.safe_load((repo / "config/config.yaml").read_text())
    eq = config["data"]["entityquestions"]
    assert [r for r in relations if relations[r].domain == "in"] == eq["in_domain"]
    assert [r for r in relations if relations[r].domain == "ood"] == eq["ood"]


def test_exposure_is_heavy_tailed_and_bounded(doc):
    facts, _ = world.build_world(doc, world.WorldSettings(seed=0, facts_per_relation=150))
    assert (facts["split"] == world.QA_POOL).sum() == 9 * world.WorldSettings.qa_pool_per_relation
    pool = facts.filter(pl.col("split") == world.QA_POOL)["exposure"]
    assert pool.min() >= 1 and pool.max() <= 4  # the pool is known, cheaply
    exposure = facts.filter(pl.col("split") != world.QA_POOL)["exposure"]
    assert exposure.min() >= 0 and exposure.max() <= 64
    assert 0.25 < (exposure == 0).mean() < 0.5  # a sizeable share never stated
    assert (exposure >= 32).mean() > 0.04  # and a real tail
    assert exposure.median() < exposure.mean()  # right-skewed
    for low, high in validity.BUCKETS:
        assert exposure.is_between(low, high).sum() >= 50  # every bucket populated


def test_facts_follow_the_contract(small, relations):
    facts, pools = small
    assert facts.columns == list(world.FACT_COLUMNS)
    assert facts["fact_id"].n_unique() == facts.height
    assert facts["subject"].n_unique() == facts.height
    assert set(facts["split"]) == {"train", "dev", "test", world.QA_POOL}
    for row in facts.iter_rows(named=True):
        relation = relations[row["relation"]]
        assert row["question"] == relation.question.replace("[X]", row["subject"])
        assert row["answers"] == [row["object"]] and row["object"] in pools[relation.objects]
        assert row["domain"] == relation.domain


def test_no_object_hides_inside_another_name(small):
    facts, pools = small
    objects = {name.lower() for names in pools.values() for name in names}
    names = objects | {s.lower() for s in facts["subject"]}
    for obj in objects:
        assert [name for name in names if obj in name] == [obj]


def test_corpus_states_each_fact_exposure_times(small, relations, doc):
    facts, pools = small
    lines = corpus.build_corpus(facts, relations, pools, doc["filler"], 0.1, seed=0)
    text = "\n".join(lines)
    for row in facts.head(40).iter_rows(named=True):
        relation = relations[row["relation"]]
        stated = sum(
            text.count(relation.statement(t, row["subject"], row["object"]))
            for t in relation.phrasings
        )
        assert stated == row["exposure"]
        assert relation.statement(relation.held_out, row["subject"], row["object"]) not in text


def test_corpus_asks_only_qa_pool_facts(small, relations, doc):
    """Tested facts are never question-answer text in the corpus; each pool fact is, qa_repeats
    times, in the relation's own question (the same question the memory study asks)."""
    facts, pools = small
    lines = corpus.build_corpus(
        facts, relations, pools, doc["filler"], 0.1, 0, doc["qa_formats"], qa_repeats=2
    )
    assert corpus.question_leaks(lines, facts) == []
    questions = {
        rid: re.compile(re.escape(r.question).replace(re.escape("[X]"), "(.+?)"))
        for rid, r in relations.items()
    }
    pool = facts.filter(pl.col("split") == world.QA_POOL)
    asked = [
        (rid, match.group(1))
        for line in lines
        for rid, pattern in questions.items()
        if (match := pattern.search(line))
    ]
    assert len(asked) == 2 * pool.height == sum("?" in line for line in lines)
    assert set(asked) == set(pool.select("relation", "subject").iter_rows())
    tested = facts.filter(pl.col("split") != world.QA_POOL)
    assert not set(asked) & set(tested.select("relation", "subject").iter_rows())
    leaky = [*lines, f"Q: {tested['question'][0]} A: {tested['object'][0]}."]
    assert corpus.question_leaks(leaky, facts) == [tested["question"][0]]
    reworded = [*lines, f"Asked: Tell me, what about {tested['subject'][1]}? Reply: yes."]
    assert corpus.question_leaks(reworded, facts) == [tested["question"][1]]


def test_a_subject_inside_a_longer_name_is_not_a_leak():
    """The country "Steitra" (tested) inside the pool person "Tradras Steitra" is another entity;
    found by the tiny workflow world (40 facts per relation) before the check knew longer names."""
    facts = pl.DataFrame(
        {
            "relation": ["capital_of", "plays"],
            "subject": ["Steitra", "Tradras Steitra"],
            "object": ["Bala", "Grorgranlute"],
            "split": ["test", world.QA_POOL],
            "question": [
                "What is the capital of Steitra?",
                "Which instrument does Tradras Steitra play?",
            ],
        }
    )
    pool_qa = ["Q: Which instrument does Tradras Steitra play? A: Grorgranlute."]
    assert corpus.question_leaks(pool_qa, facts) == []
    asked = [*pool_qa, "Someone asked: and Steitra? The reply was Bala."]
    assert corpus.question_leaks(asked, facts) == ["What is the capital of Steitra?"]


def test_default_world_corpus_asks_no_tested_fact(repo, doc, relations):
    """Item 2 of issue 16 on the default world: every qa_format, the configured qa_repeats."""
    config = yaml.safe_load((repo / "config/config.yaml").read_text())["demo"]
    settings = world.WorldSettings(seed=config["seed"], **config["world"])
    facts, pools = world.build_world(doc, settings)
    lines = corpus.build_corpus(
        facts, relations, pools, doc["filler"], config["corpus"]["filler_ratio"], settings.seed,
        doc["qa_formats"], settings.qa_repeats,
    )  # fmt: skip
    assert corpus.question_leaks(lines, facts) == []
    pool = facts.filter(pl.col("split") == world.QA_POOL).height
    assert sum("?" in line for line in lines) == settings.qa_repeats * pool


def test_entityquestions_layout_parses_back(tmp_path, small, relations):
    facts, _ = small
    raw.write_entityquestions(facts, relations, tmp_path)
    templates = json.loads((tmp_path / "relation_query_templates.json").read_text())
    total = 0
    for path in sorted((tmp_path / "dataset").glob("*/*.*.json")):
        relation, split = path.name.split(".")[:2]
        assert path.parent.name == split
        pattern = re.escape(templates[relation]).replace(re.escape("[X]"), "(.+)")
        for item in json.loads(path.read_text()):
            assert set(item) == {"question", "answers"}
            subject = re.fullmatch(pattern, item["question"]).group(1)
            fact = facts.filter((pl.col("relation") == relation) & (pl.col("subject") == subject))
            assert (
                fact["split"].item() == split
                and fact["answers"].item().to_list() == item["answers"]
            )
            total += 1
    assert total == (facts["split"] != world.QA_POOL).sum()


def test_mmlu_layout_parses_back(tmp_path, small, relations):
    facts, pools = small
    counts = raw.write_mmlu(facts, relations, pools, tmp_path, seed=0)
    objects = dict(zip(facts["question"], facts["object"], strict=True))
    split_of = dict(zip(facts["question"], facts["split"], strict=True))
    expected = {"dev": "train", "val": "dev", "test": "test", "auxiliary_train": "train"}
    seen = 0
    for folder, split in expected.items():
        for path in sorted((tmp_path / "data" / folder).glob("*.csv")):
            with open(path, newline="") as handle:
                rows = list(csv.reader(handle))
            if folder == "dev":
                assert len(rows) == raw.MMLU_FEWSHOT
            for question, *choices, letter in rows:
                assert len(choices) == 4 and len(set(choices)) == 4
                assert choices["ABCD".index(letter)] == objects[question]
                assert split_of[question] == split
                seen += 1
    assert seen == (facts["split"] != world.QA_POOL).sum() == sum(counts.values())
    subjects = {r.mmlu_subject for r in relations.values()}
    assert {
        p.name.removesuffix("_test.csv") for p in (tmp_path / "data/test").iterdir()
    } == subjects


def test_silly_questions_are_shipped_and_checked(repo, tmp_path):
    rows = raw.read_silly_questions(repo / "config/demo/silly_questions.jsonl")
    assert len(rows) >= 40 and all(r["instruction"].endswith("?") for r in rows)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "Why?", "output": "Because."}\n{"instruction": "Why?"}\n')
    with pytest.raises(ValueError, match="line 2: field 'output'"):
        raw.read_silly_questions(bad)


@pytest.fixture(scope="module")
def tokenizer(small, relations, doc):
    facts, pools = small
    return train_tokenizer(corpus.build_corpus(facts, relations, pools, doc["filler"], 0.1, 0), 400)


def test_tokenizer_round_trip_markers_and_chat_template(tokenizer):
    for text in ["The capital of Varnor is Keltheim.", "<|question|> Who? <|answer|> Ré 東京"]:
        ids = tokenizer(text)["input_ids"]
        assert ids[0] == tokenizer.bos_token_id
        assert tokenizer.decode(ids, skip_special_tokens=True) == text
    for marker in MARKERS:
        assert len(tokenizer(marker, add_special_tokens=False)["input_ids"]) == 1
    chat = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Yes."}],
        tokenize=False,
    )
    assert chat == "<s><|user|> Hi?\n<|assistant|> Yes.</s>"


# A Llama small enough to pretrain in a second on a few packed rows.
TINY = dict(
    hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
    seq_len=32, batch_size=4,
)  # fmt: skip


def test_tiny_pretrain_saves_a_loadable_model(tmp_path, small, relations, doc, tokenizer):
    facts, pools = small
    lines = corpus.build_corpus(facts, relations, pools, doc["filler"], 0.1, 0)
    settings = PretrainSettings(**TINY, max_steps=6, warmup_steps=2, calibration_steps=2)
    _, stats = pretrain(lines, tokenizer, settings, tmp_path / "model")
    assert stats["steps"] == 6 and not stats["over_max_minutes"]
    assert (tmp_path / "model/model.safetensors").exists()
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "model")
    loaded = AutoTokenizer.from_pretrained(tmp_path / "model")
    assert model.config.model_type == "llama" and len(loaded) == len(tokenizer)
    assert loaded.chat_template == tokenizer.chat_template
    scores = validity.score_facts(facts.head(6), relations, model, loaded, max_new_tokens=3)
    assert scores.height == 6 and scores["score"].is_between(0, 1).all()
    table = validity.recall_table(scores)
    assert table["facts"].sum() == 6


@pytest.mark.parametrize("prior", [0.0, 0.55, 1.0])
def test_answer_marker_starts_its_prior_share_of_the_way_to_the_cue(tokenizer, prior):
    torch.manual_seed(0)
    model = LlamaForCausalLM(model_config(PretrainSettings(**TINY), tokenizer))
    weight = model.get_input_embeddings().weight
    before = weight.detach().clone()
    marker = tokenizer.convert_tokens_to_ids("<|answer|>")
    cue = tokenizer(" A:", add_special_tokens=False)["input_ids"]
    assert len(cue) > 1  # the mean of several tokens, not one row
    prime_answer_marker(model, tokenizer, " A:", prior)
    expected = (1 - prior) * before[marker] + prior * before[cue].mean(dim=0)
    assert torch.allclose(weight[marker], expected)
    others = [i for i in range(len(tokenizer)) if i != marker]
    assert torch.equal(weight[others], before[others])
    assert torch.equal(model.get_output_embeddings().weight[marker], weight[marker])  # tied
    with pytest.raises(ValueError, match="answer_prior must be in"):
        prime_answer_marker(model, tokenizer, ":", 1.5)


def test_pretrain_saves_the_primed_answer_marker(tmp_path, small, relations, doc, tokenizer):
    facts, pools = small
    lines = corpus.build_corpus(facts, relations, pools, doc["filler"], 0.1, 0)
    rows = {}
    for prior in (0.0, 1.0):
        settings = PretrainSettings(
            **TINY, max_steps=2, warmup_steps=1, calibration_steps=1, answer_prior=prior
        )
        _, stats = pretrain(lines, tokenizer, settings, tmp_path / str(prior))
        assert stats["settings"]["answer_prior"] == prior and stats["settings"]["answer_cue"] == ":"
        saved = AutoModelForCausalLM.from_pretrained(tmp_path / str(prior)).get_input_embeddings()
        rows[prior] = saved.weight.detach()
    marker = tokenizer.convert_tokens_to_ids("<|answer|>")
    colon = tokenizer(":", add_special_tokens=False)["input_ids"]
    assert torch.allclose(rows[1.0][marker], rows[1.0][colon].mean(dim=0))
    assert not torch.allclose(rows[0.0][marker], rows[0.0][colon].mean(dim=0))


def test_learning_rate_warms_up_then_decays_to_the_floor():
    settings = PretrainSettings(learning_rate=1.0, warmup_steps=10, min_lr_ratio=0.1)
    from sftlab.demo.pretrain import learning_rate

    rates = [learning_rate(step, 100, settings) for step in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert rates == sorted(rates[:10]) + sorted(rates[10:], reverse=True)
    assert rates[-1] == pytest.approx(0.1, abs=1e-3)


def test_packed_batches_cover_documents_in_a_new_order_each_epoch():
    from sftlab.demo.pretrain import packed_batches

    docs = [torch.full((5,), i).numpy() for i in range(20)]
    batches = packed_batches(docs, seq_len=10, batch_size=2, seed=0)
    first = [next(batches) for _ in range(10)]
    epochs = [e for e, _ in first]
    assert epochs[:5] == [0] * 5 and epochs[5:] == [1] * 5
    order0 = torch.cat([b.flatten() for e, b in first if e == 0])[::5].tolist()
    order1 = torch.cat([b.flatten() for e, b in first if e == 1])[::5].tolist()
    assert sorted(order0) == list(range(20)) and order0 != order1


def test_pretrain_runs_every_step_past_max_minutes(
    tmp_path, small, relations, doc, tokenizer, caplog
):
    """max_minutes only warns: a busy machine must not train a different model (it once cut 320
    steps to 162 and the memory score's Spearman against exposure to 0.32)."""
    facts, pools = small
    lines = corpus.build_corpus(facts, relations, pools, doc["filler"], 0.1, 0)
    settings = PretrainSettings(
        **TINY, max_steps=5, warmup_steps=1, calibration_steps=1, max_minutes=1e-6
    )
    with caplog.at_level("WARNING", logger="sftlab.demo.pretrain"):
        _, stats = pretrain(lines, tokenizer, settings, tmp_path / "model")
    assert stats["steps"] == 5 and stats["over_max_minutes"]
    assert "still runs all 5 steps" in caplog.text
