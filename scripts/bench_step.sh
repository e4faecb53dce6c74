#!/usr/bin/env bash
# The training-step benchmark at SmolLM2-135M shape: batch 4, seq 256, LoRA r=16 on every linear
# layer, pipeline baseline. Reports step time, tokens/s and FLOP/s against the GEMM peak of
# the same run (medians of 5), and planned vs measured memory.
#   scripts/bench_step.sh [PIPELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE
build=${SLIMTUNE_BUILD_DIR:-build}
model=$(scripts/fetch_smollm2.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/adapter_config.json" <<'JSON'
{"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 16, "lora_alpha": 32, "lora_dropout": 0.0,
 "target_modules": "all-linear", "bias": "none"}
JSON
"$build/bin/slimtune" import --model "$model" --adapter "$work/adapter_config.json" --batch 4 --seq 256 -o "$work/step.mlir"
"$build/bin/slimtune" compile "$work/step.mlir" --pipeline "${1:-baseline}" -o "$work/step.so"
"$build/bin/bench-step" "$work/step.so" "$model" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_min_time=0.5 --benchmark_color=false
