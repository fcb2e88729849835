"""SliCK knowledge categories (Gekhman et al. 2024, arXiv 2405.05904), a second way to level facts.

P_correct is estimated from `prompts` random few-shot prompts ("Q: ...\nA: ..." exemplars from the
same relation's dev split), each answered once greedily and `samples` times at temperature T with
top-k. An answer is correct when, after normalisation, it equals the gold answer or an alias (exact
match). Categories: HighlyKnown (greedy always right), MaybeKnown (greedy sometimes right),
WeaklyKnown (greedy never, sampling sometimes), Unknown (never).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import polars as pl

from sftlab.evaluate.match import MatchSettings, normalize

CATEGORIES = ("HighlyKnown", "MaybeKnown", "WeaklyKnown", "Unknown")


@dataclass(frozen=True)
class SlickSettings:
    prompts: int = 10  # random few-shot prompts per fact (paper: 10)
    shots: int = 4  # exemplars per prompt (paper: 4)
    samples: int = 16  # sampled answers per prompt (paper: 16)
    temperature: float = 0.5  # paper: 0.5
    top_k: int = 40  # paper: 40
    max_new_tokens: int = 16
    batch_size: int = 256
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def category(greedy_correct: int, greedy_total: int, sample_correct: int) -> str:
    if greedy_total <= 0:
        raise ValueError("a SliCK category needs at least one greedy answer")
    if greedy_correct == greedy_total:
        return "HighlyKnown"
    if greedy_correct > 0:
        return "MaybeKnown"
    return "WeaklyKnown" if sample_correct > 0 else "Unknown"


def exact_match(prediction: str, answers: Sequence[str], settings: MatchSettings) -> bool:
    """The first line of the answer equals a gold answer or alias after normalisation."""
    first = prediction.strip().split("\n", 1)[0]
    pred = normalize(first, settings)
    return any(pred == normalize(a, settings) for a in answers if normalize(a, settings))


def fewshot_prompt(exemplars: Sequence[tuple[str, str]], question: str) -> str:
    blocks = [f"Q: {q}\nA: {a}" for q, a in exemplars]
    return "\n\n".join([*blocks, f"Q: {question}\nA:"])


def build_prompts(facts: pl.DataFrame, dev: pl.DataFrame, settings: SlickSettings) -> pl.DataFrame:
    """One row per (fact, prompt index): the few-shot prompt, exemplars drawn from the relation's
    dev.

    Sampling is seeded by (seed, fact_id), so a fact's prompts do not depend on which other facts
    are probed. A fact that is itself in dev is never its own exemplar.
    """
    pools: dict[str, list[tuple[str, str, str]]] = {}
    for row in dev.iter_rows(named=True):
        pools.setdefault(row["relation"], []).append(
            (row["fact_id"], row["question"], row["answers"][0])
        )
    rows = []
    for fact in facts.iter_rows(named=True):
        pool = [e for e in pools.get(fact["relation"], []) if e[0] != fact["fact_id"]]
        if len(pool) < settings.shots:
            raise ValueError(
                f"relation {fact['relation']}: {len(pool)} dev exemplars, "
                f"SliCK needs {settings.shots}"
            )
        rng = random.Random(f"{settings.seed}:{fact['fact_id']}")
        for p in range(settings.prompts):
            shots = [(q, a) for _, q, a in rng.sample(pool, settings.shots)]
            rows.append(
                {
                    "fact_id": fact["fact_id"],
                    "prompt_index": p,
                    "prompt": fewshot_prompt(shots, fact["question"]),
                }
            )
    return pl.DataFrame(
        rows, schema={"fact_id": pl.String, "prompt_index": pl.Int32, "prompt": pl.String}
    )


Generate = Callable[..., list[list[str]]]


def run_slick(
    generate: Generate,
    facts: pl.DataFrame,
    dev: pl.DataFrame,
    answers: dict[str, list[str]],
    settings: SlickSettings,
    match: MatchSettings | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> pl.DataFrame:
    """Per fact: greedy and sampled correct counts, P_correct estimates and the SliCK category.

    `generate(prompts, **kwargs)` is sftlab.lm.generate.generate with the model bound; `answers`
    maps a fact id to its gold answers plus aliases.
    """
    match = match or MatchSettings()
    prompts = build_prompts(facts, dev, settings)
    texts = prompts["prompt"].to_list()
    common = {
        "max_new_tokens": settings.max_new_tokens,
        "stop": ["\n"],
        "batch_size": settings.batch_size,
        "on_batch": on_batch,
    }
    greedy = generate(texts, num_samples=1, do_sample=False, seed=settings.seed, **common)
    sampled = generate(
        texts,
        num_samples=settings.samples,
        do_sample=True,
        temperature=settings.temperature,
        top_k=settings.top_k,
        seed=settings.seed + 1,
        **common,
    )
    ids = prompts["fact_id"].to_list()
    scored = pl.DataFrame(
        {
            "fact_id": ids,
            "greedy_correct": [
                int(exact_match(g[0], answers[f], match)) for f, g in zip(ids, greedy, strict=True)
            ],
            "sample_correct": [
                sum(exact_match(s, answers[f], match) for s in ss)
                for f, ss in zip(ids, sampled, strict=True)
            ],
        }
    )
    out = scored.group_by("fact_id").agg(
        pl.col("greedy_correct").sum(),
        pl.len().alias("greedy_total"),
        pl.col("sample_correct").sum(),
        (pl.len() * settings.samples).alias("sample_total"),
    )
    out = out.with_columns(
        (pl.col("greedy_correct") / pl.col("greedy_total")).alias("p_greedy"),
        (pl.col("sample_correct") / pl.col("sample_total")).alias("p_sample"),
    )
    cats = [
        category(g, t, s)
        for g, t, s in out.select("greedy_correct", "greedy_total", "sample_correct").iter_rows()
    ]
    return out.with_columns(pl.Series("slick", cats)).sort("fact_id")


def agreement_table(levels: pl.DataFrame) -> pl.DataFrame:
    """Counts of facts per (memory level, SliCK category), every category a column."""
    counts = levels.group_by("level", "slick").agg(pl.len().alias("facts"))
    wide = counts.pivot(on="slick", index="level", values="facts").fill_null(0)
    for name in CATEGORIES:
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(0, dtype=pl.UInt32).alias(name))
    return wide.select("level", *CATEGORIES).sort("level")
