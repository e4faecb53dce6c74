#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test (lit + FileCheck and the
# GoogleTest unit tests) and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
# OpenBLAS at full speed on this CPU family (the environment's Haswell setting halves it).
unset OPENBLAS_CORETYPE
if ! scripts/setup.sh || ! scripts/build.sh; then
  echo "slimtune: error: setup or build failed; no tests ran" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
exec python3 scripts/run_tests.py "${SLIMTUNE_BUILD_DIR:-build}"
