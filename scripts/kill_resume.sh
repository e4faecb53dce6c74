#!/usr/bin/env bash
# kill -9 resume trials (test/scripts/kill_resume.py): scripts/kill_resume.sh [TRIALS] (default 20).
# Each trial kills a training run three times (a random moment, after a random step, in the
# middle of a checkpoint write) and resumes it to the end; the final adapter and AdamW state
# must equal the uninterrupted run's bit for bit. Needs a build (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SLIMTUNE_BUILD_DIR:-build}
work=$(mktemp -d /tmp/slimtune-kill-resume.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SLIMTUNE_CACHE="$work/cache"
python3 test/scripts/kill_resume.py --slimtune "$build/bin/slimtune" \
  --shim "$build/lib/libslimtune-full-disk.so" --work "$work/runs" --trials "${1:-20}" --kills 3 \
  --seed "${SLIMTUNE_SEED:-1}" -- \
  --model "$build/fixtures/llama-text" --adapter test/train/Inputs/lora-dropout.json \
  --data test/train/Inputs/corpus.txt --steps 24 --batch 2 --seq 32 --lr 3e-3 \
  --schedule cosine --warmup-steps 2 --eval-every 4 --save-every 1 --seed 11
