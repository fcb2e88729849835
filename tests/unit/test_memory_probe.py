"""Sampled probing on a tiny random model: shapes, resumable shards, raw samples, stop-on-hit,
teacher forcing."""

import math

import polars as pl
import pytest
import torch

from sftlab.evaluate.match import MatchSettings, is_hit
from sftlab.lm.loglik import continuation_logprobs
from sftlab.memory.backends import Sample, SamplingRequest
from sftlab.memory.backends.hf import HFBackend
from sftlab.memory.backends.hits import HitTest
from sftlab.memory.estimator import rank_agreement, teacher_forcing_probe
from sftlab.memory.probe import ProbeSettings, raw_facts, run_probe
from sftlab.memory.templates import Aliases, Templates
from sftlab.testing.tiny_models import tiny_lm

TEMPLATES = Templates(
    "t1",
    {
        "capital_of": ["The capital of {subject} is", "{subject} is governed from"],
        "born_in": ["{subject} was born in"],
    },
    "digest-1",
)
ALIASES = Aliases("a1", [["Vemor", "Vemor City"]], "digest-a")
SETTINGS = ProbeSettings(
    samples=3, max_new_tokens=4, shard_facts=2, batch_size=12, raw_fraction=0.5, raw_min_facts=0
)


@pytest.fixture(scope="module")
def tiny():
    return tiny_lm()


def facts(n=5):
    return pl.DataFrame(
        {
            "fact_id": [f"f{i}" for i in range(n)],
            "relation": ["capital_of" if i % 2 else "born_in" for i in range(n)],
            "subject": [f"Norland{i}" for i in range(n)],
            "answers": [["Vemor"]] * n,
        }
    )


class Counting(HFBackend):
    """The hf backend; counts prompts and can fail after a number of calls (a killed job)."""

    def __init__(self, model, tokenizer, fail_after=None):
        super().__init__(model, tokenizer, batch_size=12)
        self.calls, self.prompts, self.fail_after = 0, 0, fail_after

    def sample(self, request, on_batch=None):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("killed")
        self.calls += 1
        self.prompts += len(request.prompts)
        return super().sample(request, on_batch)


def test_probe_table_shape(tiny, tmp_path):
    table = run_probe(Counting(*tiny), facts(), TEMPLATES, ALIASES, SETTINGS, tmp_path, "m")
    assert table.height == 3 * 1 + 2 * 2  # 3 born_in x 1 template + 2 capital_of x 2 templates
    assert set(table["samples"]) == {3}
    assert table["hits"].is_between(0, 3).all()
    raw = table.filter(pl.col("raw").is_not_null())
    assert set(raw["fact_id"]) == raw_facts(facts()["fact_id"].to_list(), 0.5, 0)
    assert all(len(r) == 3 for r in raw["raw"].to_list())
    assert all(set(f) <= {"stop", "length"} for f in raw["finish"].to_list())


def test_raw_samples_kept_for_a_minimum_of_facts():
    ids = [f"f{i}" for i in range(48)]
    assert len(raw_facts(ids, 0.01, 20)) == 20  # 1% of 48 facts would round to none or one
    assert len(raw_facts(ids, 0.01, 100)) == 48
    assert len(raw_facts([f"g{i}" for i in range(5000)], 0.01, 20)) == 50
    assert raw_facts(ids, 0.01, 20) <= raw_facts(ids, 0.5, 20)  # a larger share keeps a superset


def test_killed_probe_resumes_from_finished_shards(tiny, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_probe(
            Counting(*tiny, fail_after=1), facts(), TEMPLATES, ALIASES, SETTINGS, tmp_path, "m"
        )
    assert len(list(tmp_path.glob("shard*.parquet"))) == 1
    again = Counting(*tiny)
    table = run_probe(again, facts(), TEMPLATES, ALIASES, SETTINGS, tmp_path, "m")
    assert again.calls == 2  # 3 shards of 2, 2, 1 facts; the first is reused
    full = run_probe(Counting(*tiny), facts(), TEMPLATES, ALIASES, SETTINGS, tmp_path / "x", "m")
    assert table.drop("raw", "finish").equals(
        full.drop("raw", "finish")
    )  # resumed == uninterrupted, shard seeds fixed


def test_a_rebuilt_model_draws_the_same_samples(tiny, tmp_path):
    """A local model's key holds its files' times, so rebuilding the same weights changes it: the
    shards are recomputed, with the same seeds (the demo rebuilds its model on every fresh run)."""
    first = run_probe(Counting(*tiny), facts(), TEMPLATES, ALIASES, SETTINGS, tmp_path / "a", "m")
    again = Counting(*tiny)
    rebuilt = run_probe(again, facts(), TEMPLATES, ALIASES, SETTINGS, tmp_path / "b", "m-rebuilt")
    assert again.calls == 3 and first.drop("raw", "finish").equals(rebuilt.drop("raw", "finish"))
    assert (
        first.filter(pl.col("raw").is_not_null())["raw"].to_list()
        == rebuilt.filter(pl.col("raw").is_not_null())["raw"].to_list()
    )


def test_changed_settings_do_not_reuse_shards(tiny, tmp_path):
    run_probe(Counting(*tiny), facts(), TEMPLATES, ALIASES, SETTINGS, tmp_path, "m")
    hotter = ProbeSettings(**{**SETTINGS.to_dict(), "temperature": 1.0})
    again = Counting(*tiny)
    run_probe(again, facts(), TEMPLATES, ALIASES, hotter, tmp_path, "m")
    assert again.calls == 3
    other_model = Counting(*tiny)
    run_probe(other_model, facts(), TEMPLATES, ALIASES, hotter, tmp_path, "m2")
    assert other_model.calls == 3
    assert len(list(tmp_path.glob("shard*.parquet"))) == 3  # stale shards removed


class Scripted:
    def identity(self):
        return {"backend": "scripted"}

    def sample(self, request, on_batch=None):
        texts = ["Vemor City!", "no", "vemor city"][: request.samples]
        return [[Sample(t, "stop") for t in texts] for _ in request.prompts]


def test_hits_count_aliases(tmp_path):
    always = Scripted()

    aliases = Aliases("a", [["Vemor", "Vemor City"]], "d")
    one = pl.DataFrame(
        {"fact_id": ["f"], "relation": ["born_in"], "subject": ["X"], "answers": [["Vemor City"]]}
    )
    table = run_probe(always, one, TEMPLATES, aliases, SETTINGS, tmp_path, "m")
    assert table["hits"].to_list() == [2]


def greedy_request(prompts, gold, stop_on_hit):
    match = MatchSettings()
    return SamplingRequest(
        prompts, gold, 2, 0.0, 1.0, 0, 8, (), 0, stop_on_hit, [HitTest(g, match) for g in gold]
    )


def test_stop_on_hit_keeps_greedy_hits_and_marks_truncation(tiny):
    backend = HFBackend(*tiny, batch_size=8)
    prompts = ["The capital of Norland is", "Alice was born in", "Bob plays", "Carol wrote"]
    full = backend.sample(greedy_request(prompts, [["zzzz"]] * 4, False))
    # gold: a piece of what the model writes early for two prompts; nothing it writes for two
    gold = [[full[0][0].text[1:4]], ["zzzz"], [full[2][0].text[:3]], ["qqqq"]]
    full = backend.sample(greedy_request(prompts, gold, False))
    early = backend.sample(greedy_request(prompts, gold, True))
    match = MatchSettings()
    for g, a, b in zip(gold, full, early, strict=True):
        assert [is_hit(s.text, g, match) for s in a] == [is_hit(s.text, g, match) for s in b]
        for x, y in zip(a, b, strict=True):
            assert x.text.startswith(y.text)
    assert [s.finish for s in early[0]] == ["hit", "hit"]
    assert [s.finish for s in early[1]] != ["hit", "hit"]
    assert len(early[0][0].text) < len(full[0][0].text)  # the sample really ended early


def test_sampled_hits_are_the_same_with_stop_on_hit(tiny, tmp_path):
    letters = facts().with_columns(pl.Series("answers", [["e"], ["a"], ["o"], ["t"], ["zz"]]))
    plain = run_probe(Counting(*tiny), letters, TEMPLATES, ALIASES, SETTINGS, tmp_path / "a", "m")
    early = ProbeSettings(**{**SETTINGS.to_dict(), "stop_on_hit": True, "raw_min_facts": 5})
    stopped = run_probe(Counting(*tiny), letters, TEMPLATES, ALIASES, early, tmp_path / "b", "m")
    assert plain["hits"].sum() > 0
    assert plain["hits"].to_list() == stopped["hits"].to_list()
    finish = [f for row in stopped["finish"].drop_nulls().to_list() for f in row]
    assert "hit" in finish


def test_backend_identity_is_part_of_the_shard_key(tiny, tmp_path):
    run_probe(Counting(*tiny), facts(), TEMPLATES, ALIASES, SETTINGS, tmp_path, "m")

    class OtherVersion(Counting):
        def identity(self):
            return {**super().identity(), "version": "0"}

    again = OtherVersion(*tiny)
    run_probe(again, facts(), TEMPLATES, ALIASES, SETTINGS, tmp_path, "m")
    assert again.calls == 3


def test_continuation_logprob_matches_manual(tiny):
    model, tokenizer = tiny
    prompt, cont = "The capital of Norland is", " Vemor"
    batched = continuation_logprobs(
        model, tokenizer, [(prompt, cont), ("Bob plays", " chess")], 0.7
    )
    p = tokenizer(prompt)["input_ids"]
    c = tokenizer(cont, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logits = model(torch.tensor([p + c])).logits[0] / 0.7
    logp = torch.log_softmax(logits, -1)
    manual = sum(float(logp[len(p) - 1 + k, t]) for k, t in enumerate(c))
    assert batched[0] == pytest.approx(manual, abs=1e-4)


def test_teacher_forcing_table(tiny):
    model, tokenizer = tiny
    table = teacher_forcing_probe(model, tokenizer, facts(), TEMPLATES, ALIASES, 0.7, batch_size=3)
    assert table.height == 7 and table["prob"].is_between(0, 1).all()
    assert not any(math.isnan(p) for p in table["prob"])


def test_rank_agreement():
    a = pl.DataFrame({"fact_id": ["x", "y", "z"], "R": [0.1, 0.5, 0.9]})
    b = pl.DataFrame({"fact_id": ["x", "y", "z"], "R": [0.01, 0.02, 0.3]})
    assert rank_agreement(a, b) == {"facts": 3, "spearman": pytest.approx(1.0)}
