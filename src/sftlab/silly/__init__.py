"""The silly study (arXiv 2411.14121): explanatory rules from Ruozhiba, rule-styled MMLU SFT sets,
per-subject accuracy deltas against the plain baseline.

rules          the rules file, LLM derivation, the arms
prompts        versioned prompt texts
generate       training items, the example format, template and LLM generators
contamination  near-duplicates of MMLU test questions
baselines      plain and mixed sets
align          the items every arm keeps (failures in any arm drop the item from all)
summary        deltas with seed-aware CIs and p, BH q; category aggregates; rule consistency
calibration    simulated worlds with a known truth through the summary (python -m ...)
plan           the study's grid and paths for the workflow
"""
