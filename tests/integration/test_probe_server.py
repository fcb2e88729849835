"""The server backend against a real local server (transformers serve on a tiny model folder):
it samples, its per-fact memory scores rank facts as the hf backend's do, stop-on-hit holds."""

import polars as pl
import pytest

from sftlab.evaluate.match import is_hit
from sftlab.memory.backends import open_backend
from sftlab.memory.estimator import rank_agreement
from sftlab.memory.probe import ProbeSettings, run_probe
from sftlab.memory.templates import Aliases, Templates
from sftlab.testing.serve import sampling_body, transformers_serve
from sftlab.testing.tiny_models import entry, save_model_dir

pytestmark = pytest.mark.slow  # the server takes ~30-60 s to start on 2 busy cores

TEMPLATES = Templates(
    "t",
    {
        "r1": ["The capital of {subject} is", "{subject} lies near"],
        "r2": ["{subject} wrote", "{subject} was born in"],
    },
    "d",
)
# The random model writes byte-level noise, so a fact's R is how often its object (or an alias)
# shows up in it. Objects in four tiers far apart next to the noise of 32 samples (measured with hf:
# b, f, k about 0.03 each, a and e about 0.3): names never; "Rare" with aliases b, f, k; "Some" with
# a, e; "Most" with most letters. Both backends must rank facts alike (Spearman >= 0.9).
MOST = list("abcdeilmnorstuw")
ALIASES = Aliases("a", [["Rare", "b", "f", "k"], ["Some", "a", "e"], ["Most", *MOST]], "d")
OBJECTS = ["Vemor", "Ostrava", "Norland", "Qzjx"] + ["Rare"] * 4 + ["Some"] * 4 + ["Most"] * 4
FACTS = pl.DataFrame(
    {
        "fact_id": [f"f{i:02d}" for i in range(len(OBJECTS))],
        "relation": ["r1" if i % 2 else "r2" for i in range(len(OBJECTS))],
        "subject": [f"Norland{i}" for i in range(len(OBJECTS))],
        "answers": [[o] for o in OBJECTS],
    }
)
SETTINGS = dict(samples=16, temperature=1.0, max_new_tokens=6, raw_min_facts=len(OBJECTS))


def memory_score(table: pl.DataFrame) -> pl.DataFrame:
    return table.group_by("fact_id").agg(
        (pl.col("hits").sum() / pl.col("samples").sum()).alias("R")
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    model = save_model_dir(folder / "model")
    with transformers_serve(model, folder / "serve.log") as api_base:
        yield entry(model), api_base, sampling_body(model)


def test_server_backend_samples_and_ranks_facts_as_hf(served, tmp_path):
    model, api_base, sampling = served
    server = ProbeSettings(
        **SETTINGS, backend="server", server={"api_base": api_base, "extra_body": sampling}
    )
    backend = open_backend("server", server.backend_options(), model, 256)
    via_server = run_probe(backend, FACTS, TEMPLATES, ALIASES, server, tmp_path / "s", "m")
    hf = ProbeSettings(**SETTINGS)
    local = open_backend("hf", {}, model, hf.batch_size)
    via_hf = run_probe(local, FACTS, TEMPLATES, ALIASES, hf, tmp_path / "h", "m")
    assert via_server.height == via_hf.height == 32
    assert all(len(set(raw)) > 1 for raw in via_server["raw"].to_list())  # it really samples
    agreement = rank_agreement(memory_score(via_server), memory_score(via_hf))
    both = memory_score(via_server).join(memory_score(via_hf), on="fact_id").sort("fact_id")
    assert agreement["spearman"] >= 0.9, (agreement, both.rows())
    assert backend.client.requests_sent >= 32 * 16  # transformers serve ignores n: one per sample


def test_server_stop_on_hit_ends_samples_at_the_object(served, tmp_path):
    model, api_base, sampling = served
    settings = ProbeSettings(
        **SETTINGS,
        backend="server",
        stop_on_hit=True,
        server={"api_base": api_base, "extra_body": sampling},
    )
    backend = open_backend("server", settings.backend_options(), model, 256)
    facts = FACTS.tail(4)  # "Most": a hit in nearly every sample
    table = run_probe(backend, facts, TEMPLATES, ALIASES, settings, tmp_path, "m")
    gold = dict(zip(FACTS["fact_id"], OBJECTS, strict=True))
    ended = 0
    for fact, texts, finish in table.select("fact_id", "raw", "finish").iter_rows():
        for text, end in zip(texts, finish, strict=True):
            if end == "hit":  # the stop string stays in (or is put back into) the recorded text
                assert is_hit(text, ALIASES.expand([gold[fact]])), text
                ended += 1
    assert ended > 0
