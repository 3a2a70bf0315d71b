"""Witnesses: the value that tells a survivor apart from the original, and an assertion proven to kill it."""
