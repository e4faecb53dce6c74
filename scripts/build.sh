#!/usr/bin/env bash
# Configures (once) and builds slimtune with CMake + Ninja + lld into build/ (or $SLIMTUNE_BUILD_DIR).
# Extra arguments go to the configure step, e.g. -DSLIMTUNE_ENABLE_COMPILER=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SLIMTUNE_BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -G Ninja -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" >"$build.configure.log" 2>&1 || {
    cat "$build.configure.log" >&2
    echo "slimtune: error: CMake configure failed (log: $build.configure.log)" >&2
    exit 1
  }
fi
cmake --build "$build"
