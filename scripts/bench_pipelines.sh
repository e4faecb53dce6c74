#!/usr/bin/env bash
# Pipelines side by side on a real fine-tuning job: SmolLM2-135M-Instruct, LoRA r=16 on every
# linear layer (no dropout), batch 4, seq 256, on the fortunes corpus, SLIMTUNE_STEPS steps
# (default 200) each with the same seed and data order. Reports per pipeline: stashed bytes and
# planned peak (compile --memory-report), measured peak (train), median step time, and the
# validation loss at the end; then each pipeline against the first. The training runs follow
# one another, so their step times carry the machine's drift: the step-time ratio to trust is
# the one measured side by side afterwards (bench-step-ab: ROUNDS rounds, default 10, of one
# step of each pipeline in shuffled order).
#   scripts/bench_pipelines.sh [PIPELINE...]      (default: baseline lean)
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE
build=${SLIMTUNE_BUILD_DIR:-build}
slimtune=$build/bin/slimtune
steps=${SLIMTUNE_STEPS:-200}
pipelines=("$@")
[ ${#pipelines[@]} -gt 0 ] || pipelines=(baseline lean)
. scripts/bench_job.sh # model, corpus, work (with its adapter_config.json)
"$slimtune" import --model "$model" --adapter "$work/adapter_config.json" --batch 4 --seq 256 \
  -o "$work/step.mlir" 2>/dev/null
for p in "${pipelines[@]}"; do
  echo "== $p: compile --memory-report, train $steps steps" >&2
  "$slimtune" compile "$work/step.mlir" --pipeline "$p" --memory-report -o "$work/$p.so" \
    > "$work/$p.report"
  "$slimtune" train --model "$model" --adapter "$work/adapter_config.json" \
    --data "$corpus" --doc-separator % --val-fraction 0.05 --seed 1 \
    --steps "$steps" --batch 4 --seq 256 --lr 1e-3 --schedule cosine --warmup-steps "$(( steps >= 40 ? steps / 20 : 1 ))" \
    --eval-every 50 --eval-batches 0 --pipeline "$p" --log "$work/$p.jsonl" \
    > "$work/$p.log" 2> "$work/$p.err"
done
python3 bench/compare_pipelines.py "$work" "${pipelines[@]}"
echo "== step time side by side (bench-step-ab, ${SLIMTUNE_ROUNDS:-10} rounds)"
artifacts=()
for p in "${pipelines[@]}"; do artifacts+=("$work/$p.so"); done
"$build/bin/bench-step-ab" "$model" "${SLIMTUNE_ROUNDS:-10}" "${artifacts[@]}"
echo "(runs in $work)"
