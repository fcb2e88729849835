"""The silly study (arXiv 2411.14121): explanatory rules from Ruozhiba, rule-styled MMLU SFT sets,
per-subject accuracy deltas against the plain baseline.

rules          the rules file, LLM derivation, the arms
prompts        versioned prompt texts
generate       training items, the example format, template and LLM generators
contamination  near-duplicates of MMLU test questions
baselines      plain and mixed sets
summary        deltas with CIs, McNemar p, BH q; category aggregates; variance shares
"""
