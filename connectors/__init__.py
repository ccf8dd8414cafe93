"""Connectors: one package per outside system (platforms, CRMs, catalogs)."""
