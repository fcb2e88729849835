"""Model code: everything that loads a causal language model or runs it.

- `load`: a model entry of the `models:` registry to (model, tokenizer), adapters included;
- `padding`: the one left-padding helper every batched forward pass uses;
- `generate`: sftlab's decode loop (short-answer evaluation, memory probing, the demo's validity);
- `loglik`: the one teacher-forcing scorer, log P(continuation | context) (multiple choice, the
  teacher-forcing memory estimator).

Training stays in `sftlab.train`: it is a workflow stage (settings, launch, checkpoints and resume),
and uses `load` for its model.
"""
