#!/usr/bin/env bash
# Set everything up, then start the offline demo (no API key, no network needed): a sample shop, an AI
# host pitching it on the built-in live room (http://127.0.0.1:8080/), the console at /console.
# Extra arguments go to `livehub demo` (e.g. --catalog my.json, --host 0.0.0.0 --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/livehub demo "$@"
