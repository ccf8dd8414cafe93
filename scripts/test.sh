#!/usr/bin/env bash
# Run every LiveHub test (slow and PostgreSQL suites included) after making sure the setup is complete.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-tests
export PYTHONDONTWRITEBYTECODE=1
.venv/bin/python -m pytest -ra "$@"
# Benchmarks are not tests: a quick run only checks that the harness still works (no timing assertion).
.venv/bin/python bench/run.py --quick --json "$(mktemp -t livehub-bench-XXXXXX.json)"
