#!/usr/bin/env bash
# A longer fuzzing run of every reader: scripts/fuzz.sh [SECONDS_PER_TARGET] (default 600), or
# scripts/fuzz.sh --runs N (N executions per target, e.g. 1000000). Not part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--runs" ]; then
  exec python3 scripts/fuzz.py --runs "${2:?--runs needs a count}" --seconds 0
fi
exec python3 scripts/fuzz.py --seconds "${1:-600}"
