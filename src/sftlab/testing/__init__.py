"""Test doubles and harnesses shared by tests/ and bench/; the workflow never imports them.

- llm_server: a scripted OpenAI-compatible chat server, in-process or in its own process
  (`python -m sftlab.testing.llm_server`);
- tiny_models: a tiny tokenizer and Llama, a memorisation set;
- workflow: a copy of the workflow in a temporary folder, and the dry-run plan reader.
"""
