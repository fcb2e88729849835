"""Same items in every arm: an item whose rewrite failed in any arm is dropped from all of them.

A rule arm that lost the items its LLM could not rewrite would otherwise train on fewer, and
easier-to-rewrite, items than `plain`, and the delta would mix the rule's style with the item
selection. `common_items` keeps the items present in every generated set; `plain`, `mixed` and
every rule arm are then built from those only.
"""

from __future__ import annotations

from typing import Any


class TooFewItems(ValueError):
    """The items kept in every arm fall below `silly.min_kept_share` of those sampled."""


def common_items(
    sets: dict[str, list[dict[str, Any]]], item_ids: list[str], min_kept_share: float
) -> tuple[list[str], dict[str, Any]]:
    """(kept item ids in `item_ids` order, report) for generated sets keyed by arm.

    The report gives per arm the items it generated and the items it alone or with others failed;
    every arm, `plain` and `mixed` included, trains on `kept` items. Raises TooFewItems when
    kept / sampled < min_kept_share, naming the arms that lost most.
    """
    present = {arm: {row["item_id"] for row in rows} for arm, rows in sets.items()}
    kept = [i for i in item_ids if all(i in ids for ids in present.values())]
    per_arm = {
        arm: {"generated": len(ids & set(item_ids)), "failed": len(set(item_ids) - ids)}
        for arm, ids in present.items()
    }
    share = len(kept) / len(item_ids) if item_ids else 0.0
    kept_set = set(kept)
    report = {
        "sampled": len(item_ids),
        "kept": len(kept),
        "kept_share": share,
        "min_kept_share": min_kept_share,
        "dropped": len(item_ids) - len(kept),
        "per_arm": per_arm,
        "dropped_items": [i for i in item_ids if i not in kept_set],
        "kept_items": kept,
    }
    if share < min_kept_share:
        worst = sorted(per_arm, key=lambda arm: -per_arm[arm]["failed"])[:3]
        detail = ", ".join(f"{arm}: {per_arm[arm]['failed']} failed" for arm in worst)
        raise TooFewItems(
            f"only {len(kept)} of {len(item_ids)} items ({share:.0%}) have a valid rewrite in "
            f"every arm, below silly.min_kept_share={min_kept_share} ({detail}); see the "
            "arms' .failures.jsonl"
        )
    return kept, report


def keep(rows: list[dict[str, Any]], kept: list[str]) -> list[dict[str, Any]]:
    """The rows of the kept items, in their original order."""
    wanted = set(kept)
    return [row for row in rows if row["item_id"] in wanted]


def check_same_items(
    set_item_ids: dict[str, list[str]], kept: list[str], set_files: dict[str, str] | None = None
) -> None:
    """Raise when an arm's training set is not exactly the kept items; the message names the
    stale arms' set files (`set_files`, arm -> path) to re-run.

    The workflow hands the common items to each arm as ancient(), so re-generating one rule
    re-trains only that rule; if that changed which items survive, the other arms' sets are stale
    until re-run, and the summary must not compare them.
    """
    wanted = set(kept)
    stale = [a for a, ids in set_item_ids.items() if set(ids) != wanted or len(ids) != len(kept)]
    if stale:
        paths = " ".join(str((set_files or {}).get(arm, arm)) for arm in stale)
        raise ValueError(
            f"arms {stale} trained on other items than sets/common_items.json keeps; "
            f"re-run them: snakemake --forcerun {paths}"
        )
