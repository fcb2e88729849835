"""Versioned prompt texts of the silly study.

A prompt's version is written into every output built with it (rules.yaml provenance, each SFT
example's `prompt_version`). Change a text, bump its version: the LLM cache keys on the messages, so
a new text is asked afresh, and the version tells old outputs from new ones.
"""

from __future__ import annotations

VERSIONS = {
    "analysis": "analysis-v1",
    "consolidation": "consolidation-v2",
    "rewrite": "rewrite-v1",
    "reask": "reask-v1",
}

# The paper analysed Ruozhiba questions "from the perspectives of education, psychology and
# cognitive science"; one analysis prompt per lens and batch.
LENSES = {
    "education": (
        "an education researcher: what does answering this question teach, and which explanation "
        "strategy makes the lesson stick?"
    ),
    "psychology": (
        "a psychologist: which expectation, bias or emotion does the question play on, and how "
        "does the answer resolve it?"
    ),
    "cognitive_science": (
        "a cognitive scientist: which mental representation, category boundary or inference "
        "does the question stretch, and how does the answer repair it?"
    ),
}

ANALYSIS_SYSTEM = (
    "You study 'Ruozhiba' questions: deliberately silly, punning or absurd questions from a "
    "Chinese forum, each with an answer that takes it seriously. You find the explanatory "
    "strategies that make such answers instructive. Reply with a JSON object only."
)

ANALYSIS_USER = """Analyse the questions below, with their answers, from the perspective of {lens}

Propose up to {max_candidates} candidate explanatory rules: reusable strategies for explaining an
answer that these question-answer pairs illustrate. For each rule give a short name, a one-sentence
definition, how to apply it when explaining the answer to an ordinary exam question, and the ids of
the items below that illustrate it.

Items:
{items}

Reply with JSON: {{"candidates": [{{"name": str, "definition": str, "how_to_apply": str,
"example_ids": [str, ...]}}, ...]}}"""

CONSOLIDATION_SYSTEM = (
    "You consolidate candidate explanatory rules proposed by several analysts into a small, "
    "non-overlapping set. Reply with a JSON object only."
)

CONSOLIDATION_USER = """Below are candidate explanatory rules derived from Ruozhiba question-answer
pairs by analysts with education, psychology and cognitive-science perspectives. Merge duplicates
and near duplicates, drop rules that cannot be applied to explaining the answer of a multiple-choice
exam question, and return exactly {n} distinct rules. Keep the example ids of the merged candidates
(only ids that occur below).

Candidates:
{candidates}

Give each rule a short_name of one or two words (at most 24 characters) for table headings.

Reply with JSON: {{"rules": [{{"name": str, "short_name": str, "definition": str,
"how_to_apply": str, "example_ids": [str, ...]}}, ...]}} with exactly {n} rules."""

REWRITE_SYSTEM = (
    "You write training examples for a language model. Given a multiple-choice question, its "
    "correct answer and an explanation style, you write a short explanation of why the correct "
    "answer is right, in that style. Never change the question or the correct answer. Reply "
    "with a JSON object only."
)

REWRITE_USER = """Explanation style: {rule_name}
Definition: {rule_definition}
How to apply it: {rule_how_to_apply}

Question ({topic}):
{question}

Correct answer: {letter}. {answer}

Write an explanation of 2-4 sentences, in the style above, that justifies the correct answer. Then
repeat the letter of the correct answer.

Reply with JSON: {{"explanation": str, "answer_letter": "A" | "B" | "C" | "D"}}"""

# Sent once, in the same conversation, after an answer whose letter is not the gold one.
REASK_USER = """Your answer_letter was {given}, but the correct answer is {letter}. {answer}

Rewrite the explanation so that it justifies {letter}, in the same style, and set answer_letter to
{letter}.

Reply with JSON: {{"explanation": str, "answer_letter": "A" | "B" | "C" | "D"}}"""

# The neutral control: an explanation without any stylistic device, so "rule style" can be told
# apart from "an explanation was added".
NEUTRAL_RULE = {
    "id": "neutral",
    "name": "Plain Explanation",
    "definition": "Explain why the correct answer is right in a plain, factual tone.",
    "how_to_apply": (
        "State the fact or reasoning step that makes the correct answer right. No jokes, "
        "analogies, exaggeration or rhetorical devices."
    ),
    "origin": "control",
    "example_ids": [],
    "framings": [
        'The correct answer is "{answer}".',
        'The option that answers the question about {topic} correctly is "{answer}".',
        'Of the four options, "{answer}" is correct and "{distractor}" is not.',
    ],
}
