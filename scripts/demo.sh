#!/usr/bin/env bash
# Set everything up, then start the offline demo (no API key, no network needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p .demo && cd .demo
[ -f livehub.toml ] || ../.venv/bin/livehub init
exec ../.venv/bin/livehub run "$@"
