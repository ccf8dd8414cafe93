"""Prompt templates and word lists, per locale (data only)."""
