"""The 57 MMLU subjects and their 4 categories (the MMLU paper's groups, as in lm-eval-harness).

Category names are written as in the paper (STEM, humanities, social sciences, other); config values
are accepted in lm-evaluation-harness spelling too (stem, social_sciences).
"""

from __future__ import annotations

_GROUPS = {
    "STEM": (
        "abstract_algebra anatomy astronomy college_biology college_chemistry "
        "college_computer_science college_mathematics college_physics computer_security "
        "conceptual_physics electrical_engineering elementary_mathematics high_school_biology "
        "high_school_chemistry high_school_computer_science high_school_mathematics "
        "high_school_physics high_school_statistics machine_learning"
    ),
    "humanities": (
        "formal_logic high_school_european_history high_school_us_history "
        "high_school_world_history international_law jurisprudence logical_fallacies "
        "moral_disputes moral_scenarios philosophy prehistory professional_law world_religions"
    ),
    "social sciences": (
        "econometrics high_school_geography high_school_government_and_politics "
        "high_school_macroeconomics high_school_microeconomics high_school_psychology "
        "human_sexuality professional_psychology public_relations security_studies sociology "
        "us_foreign_policy"
    ),
    "other": (
        "business_ethics clinical_knowledge college_medicine global_facts human_aging management "
        "marketing medical_genetics miscellaneous nutrition professional_accounting "
        "professional_medicine virology"
    ),
}

SUBJECT_CATEGORIES: dict[str, str] = {
    subject: group for group, names in _GROUPS.items() for subject in names.split()
}
CATEGORIES = tuple(_GROUPS)
_SPELLINGS = {name.lower().replace(" ", "_"): name for name in CATEGORIES}
AUXILIARY_SUBJECT = (
    "auxiliary_train"  # auxiliary_train items (ARC, OBQA, RACE, ...) have no subject
)
AUXILIARY_CATEGORY = "auxiliary"


def canonical_category(name: str) -> str:
    """'stem' / 'STEM' -> 'STEM', 'social_sciences' / 'Social Sciences' -> 'social sciences'."""
    key = name.strip().lower().replace(" ", "_")
    if key not in _SPELLINGS:
        raise ValueError(f"unknown MMLU category {name!r} (known: {', '.join(CATEGORIES)})")
    return _SPELLINGS[key]
