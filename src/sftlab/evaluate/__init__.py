"""Evaluation: answer matching (match), short-answer QA (qa) and multiple choice (mc)."""
