#!/usr/bin/env bash
# Memory passes and frozen-weight precisions against HF transformers + PEFT, on one real job:
# SmolLM2-135M-Instruct (GGUF), LoRA r=16 on every linear layer (no dropout), batch 4, seq 256,
# the fortunes corpus, SLIMTUNE_STEPS steps (default 200), lr 1e-3 cosine, same seed and data
# order for every config. Per config NAME=PIPELINE[:PRECISION[:BUDGET]]:
#   * planned peak: `slimtune compile --memory-report` of the step ("peak: N bytes"), with
#     --memory-budget BUDGET when given (the compiler then recomputes activations, slim-remat,
#     until the plan fits);
#   * measured peak, step time and validation loss: `slimtune train` with the same flags as
#     scripts/bench_pipelines.sh plus --precision and --memory-budget, run under
#     /usr/bin/time -v for the whole process's max RSS (model loading included);
#   * step time side by side: bench-step-ab over every config's artifact, SLIMTUNE_ROUNDS
#     rounds (default 7) of one step each in shuffled order, as ratios to the first config.
# Then HF transformers + PEFT trains the same job on the CPU in fp32 (bench/peak_vs_peft.py
# hf, in a venv of its own that this script makes), and bench/peak_vs_peft.py table prints
# everything as one markdown table.
#   scripts/bench_peak.sh [CONFIG...]
#   default CONFIGs: lean=lean:fp32 lean-bf16=lean:bf16 lean-bf16-650MB=lean:bf16:650MB
#                    'lean-bf16-remat=lean{remat=-1}:bf16' lean-q8=lean:q8 lean-q4=lean:q4
#                    lean-q4-400MB=lean:q4:400MB
# Environment: SLIMTUNE_STEPS (200), SLIMTUNE_ROUNDS (7), SLIMTUNE_BENCH_DIR (the work folder;
# default a new temporary one), SLIMTUNE_BUILD_DIR (build), SLIMTUNE_PEFT_VENV
# (~/.cache/slimtune/peft-venv), SLIMTUNE_SKIP_PEFT=1 (no HF + PEFT run).
# 200 steps take over an hour on a 2-core machine; SLIMTUNE_STEPS=4 SLIMTUNE_ROUNDS=1 is a smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE
build=${SLIMTUNE_BUILD_DIR:-build}
slimtune=$build/bin/slimtune
steps=${SLIMTUNE_STEPS:-200}
rounds=${SLIMTUNE_ROUNDS:-7}
warmup=$(( steps >= 40 ? steps / 20 : 1 ))
venv=${SLIMTUNE_PEFT_VENV:-$HOME/.cache/slimtune/peft-venv}
configs=("$@")
[ ${#configs[@]} -gt 0 ] ||
  configs=(lean=lean:fp32 lean-bf16=lean:bf16 lean-bf16-650MB=lean:bf16:650MB
           'lean-bf16-remat=lean{remat=-1}:bf16' lean-q8=lean:q8 lean-q4=lean:q4
           lean-q4-400MB=lean:q4:400MB)

names=() pipelines=() precisions=() budgets=()
for c in "${configs[@]}"; do
  name=${c%%=*} spec=${c#*=}
  if [ "$name" = "$c" ] || ! [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || [ -z "$spec" ]; then
    echo "bench_peak.sh: error: '$c' is not NAME=PIPELINE[:PRECISION[:BUDGET]] (NAME: letters, digits, . _ -)" >&2
    exit 1
  fi
  IFS=: read -r pipeline precision budget <<<"$spec"
  names+=("$name") pipelines+=("$pipeline") precisions+=("${precision:-fp32}") budgets+=("${budget:-}")
done

. scripts/bench_job.sh # model, corpus, work (with its adapter_config.json)

# The whole process's max RSS: /usr/bin/time -v, or getrusage of the children where it is
# missing (writing the same line, which bench/peak_vs_peft.py table reads).
timed() { # OUT.time COMMAND...
  local out=$1
  shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$out" "$@"
  else
    python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("Maximum resident set size (kbytes): %d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$out" "$@"
  fi
}

for i in "${!names[@]}"; do
  name=${names[$i]} pipeline=${pipelines[$i]} precision=${precisions[$i]} budget=${budgets[$i]}
  budget_flag=()
  [ -z "$budget" ] || budget_flag=(--memory-budget "$budget")
  if [ ! -s "$work/step-$precision.mlir" ]; then
    "$slimtune" import --model "$model" --adapter "$work/adapter_config.json" --batch 4 --seq 256 \
      --precision "$precision" -o "$work/step-$precision.mlir" 2>/dev/null
  fi
  echo "== $name ($pipeline, $precision${budget:+, budget $budget}): compile --memory-report, train $steps steps" >&2
  "$slimtune" compile "$work/step-$precision.mlir" --pipeline "$pipeline" "${budget_flag[@]}" \
    --memory-report -o "$work/$name.so" > "$work/$name.report"
  timed "$work/$name.time" \
    "$slimtune" train --model "$model" --adapter "$work/adapter_config.json" \
    --data "$corpus" --doc-separator % --val-fraction 0.05 --seed 1 \
    --steps "$steps" --batch 4 --seq 256 --lr 1e-3 --schedule cosine --warmup-steps "$warmup" \
    --eval-every 50 --eval-batches 0 --pipeline "$pipeline" --precision "$precision" \
    "${budget_flag[@]}" --log "$work/$name.jsonl" \
    > "$work/$name.log" 2> "$work/$name.err" ||
    { echo "bench_peak.sh: error: train $name failed:" >&2; tail -n 20 "$work/$name.err" >&2; exit 1; }
done

echo "== step time side by side (bench-step-ab, $rounds rounds)" >&2
artifacts=()
for name in "${names[@]}"; do artifacts+=("$work/$name.so"); done
"$build/bin/bench-step-ab" "$model" "$rounds" "${artifacts[@]}" | tee "$work/step-ab.txt"

table_flags=()
if [ "${SLIMTUNE_SKIP_PEFT:-0}" = 1 ]; then
  table_flags=(--no-hf)
else
  if ! "$venv/bin/python" -c 'import torch, transformers, peft, gguf' 2>/dev/null; then
    echo "== making the HF + PEFT venv in $venv (PyTorch for the CPU, transformers, peft, gguf)" >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    # The CPU-only wheel where its index is reachable; PyPI's torch (CUDA libraries and all,
    # run on the CPU here) where it is not.
    if ! "$venv/bin/python" -m pip install --quiet --timeout 30 --retries 1 \
         --index-url https://download.pytorch.org/whl/cpu torch; then
      echo "== the PyTorch CPU index is unreachable: torch from PyPI" >&2
      "$venv/bin/python" -m pip install --quiet torch
    fi
    "$venv/bin/python" -m pip install --quiet transformers peft gguf numpy sentencepiece tokenizers
  fi
  echo "== HF transformers + PEFT (CPU, fp32): train $steps steps" >&2
  "$venv/bin/python" bench/peak_vs_peft.py hf --model "$model" --data "$corpus" \
    --doc-separator % --batch 4 --seq 256 --steps "$steps" --lr 1e-3 --warmup-steps "$warmup" \
    --val-fraction 0.05 --seed 1 --threads 2 --json "$work/hf-peft.json" 2> "$work/hf-peft.err" ||
    { echo "bench_peak.sh: error: the HF + PEFT run failed:" >&2; tail -n 20 "$work/hf-peft.err" >&2; exit 1; }
  tail -n 1 "$work/hf-peft.err" >&2
fi

echo
python3 bench/peak_vs_peft.py table "${table_flags[@]}" "$work" "${names[@]}"
echo "(runs in $work)"
