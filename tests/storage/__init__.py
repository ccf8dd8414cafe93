"""Storage tests: the same suite runs on SQLite and on a real PostgreSQL (see tests/conftest.py)."""
