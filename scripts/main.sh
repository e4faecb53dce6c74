#!/usr/bin/env bash
# The main job. For now: build, then compile the bundled example training graph with
# slimtune-opt and show the IR after a pass. (Later: compile and fine-tune a real model.)
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE
scripts/setup.sh
scripts/build.sh
build=${SLIMTUNE_BUILD_DIR:-build}
echo "== slimtune-opt examples/llama-2layer-lora.mlir --slim-infer-shapes=\"batch=4 seq=32\""
"$build/bin/slimtune-opt" examples/llama-2layer-lora.mlir \
  --slim-infer-shapes="batch=4 seq=32" --mlir-print-ir-after=slim-infer-shapes -o /dev/null
