"""The memory study (arXiv 2409.15825): probe what a base model knows, level facts, sample
level-pure sets.

Modules, in pipeline order: templates (probe templates and alias tables as versioned data), probe
(sampled multi-template complementation and the teacher-forcing estimator, sharded and resumable),
levels (memory score R and its bins), slick (the SliCK categories of arXiv 2405.05904), sets
(level-pure SFT sets and QA test items), summary (one tidy accuracy table).
"""
