"""The study-definition language: form files, expressions and the validation engine."""
