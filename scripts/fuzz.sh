#!/usr/bin/env bash
# A longer fuzzing run of every reader: scripts/fuzz.sh [SECONDS_PER_TARGET] (default 600).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/fuzz.py --seconds "${1:-600}"
