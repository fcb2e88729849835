"""The offline demo world: invented facts with known exposure and a tiny model pretrained on them.

world (entities, facts, exposure, splits) -> corpus (pretraining text) -> tokenizer (byte-level BPE)
-> pretrain (a tiny Llama, CPU) -> validity (recall against exposure); raw writes the world in the
released layouts of EntityQuestions, MMLU and Ruozhiba for the ordinary loaders.
"""
