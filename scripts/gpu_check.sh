#!/usr/bin/env bash
# Every GPU check in one command, for a GPU machine with nvcc, CMake, PyTorch, transformers
# and peft but no LLVM/MLIR: runs what scripts/gpu_pack.sh prepared in .gpu/ on a development
# machine (no compiling here, so the GPU's minutes go to running). Within 10 minutes on an H100:
#   1. the CUDA kernel tests: every kernel against the CPU reference on the same inputs, and
#      the device's own tests (test/unit/kernels/device_kernels_test.cpp, cpu_device_test.cpp)
#   2. SmolLM2-135M (random weights, seed 1), LoRA r16 on every linear layer, 50 steps at
#      batch 4 x seq 256 on the fortunes corpus, on the GPU, against the CPU's run of the same
#      step, weights and data (made by gpu_pack.sh): losses and gradient norms must agree
#      (bench/compare_curves.py)
#      and the same 50 steps with bf16 frozen weights, within 1% of the fp32 curve, and the
#      reversible pipeline's and CE-LoRA's 50 steps against their CPU runs
#   3. the GPU benchmark: HF transformers + PEFT (bf16, sdpa) against slimtune baseline and
#      lean (bf16 frozen weights) at SmolLM2-135M, LLaMA-1B and LLaMA-7B shapes
#      (bench/gpu_table.py prints the table), and the linear kernels against the raw cuBLAS
#      call (bench/bench_cuda_linear.cpp)
# Results (the benchmark JSON files, curves/, the test report, table.md) go to $OUT, or
# .gpu/results. Ends with one line
# "gpu_check: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
pack=.gpu
out=${OUT:-$pack/results}
mkdir -p "$out/curves" "$pack/lib"
[ -x "$pack/bin/slimtune-run-steps" ] || { echo "gpu_check: error: no $pack/bin: run scripts/gpu_pack.sh on a development machine first" >&2; exit 1; }
# The runtime's libraries that the machine lacks (oneDNN, OpenBLAS, ...): the machine's own
# where it has them. Only slimtune's programs get this path, not Python (PyTorch has its own).
rm -rf "$pack/lib/carried" && mkdir -p "$pack/lib/carried" && tar -xJf "$pack/lib/libs.tar.xz" -C "$pack/lib/carried"
for lib in "$pack"/lib/carried/*; do
  ldconfig -p | grep -q "^[[:space:]]*$(basename "$lib") " && rm "$lib"
done
echo "libraries carried in: $(ls "$pack/lib/carried" | tr '\n' ' ')"
# cuBLAS 13 for libslimtune_cuda.so: the toolkit's, else the one PyTorch's wheels carry.
cublas=$( (ls /usr/local/cuda*/lib64/libcublas.so.13 /usr/local/cuda*/targets/*/lib/libcublas.so.13 2>/dev/null;
          python3 -c 'import glob, site; [print(p) for d in site.getsitepackages() for p in glob.glob(d + "/nvidia/**/libcublas.so.13", recursive=True)]' 2>/dev/null) | head -1)
[ -n "$cublas" ] || echo "gpu_check: warning: no libcublas.so.13 found; the CUDA device will not open" >&2
slimtune_libs=${cublas:+$(dirname "$cublas"):}$PWD/$pack/lib/carried
unset OPENBLAS_CORETYPE
passed=0 failed=0
# Each check has a time limit, so that a kernel that hangs costs one check, not the call's
# ten minutes (the results so far are already in $OUT).
check() { # NAME SECONDS COMMAND...
  echo "== $1"
  local start=$SECONDS
  # timeout runs programs: a function of this script (run) goes through bash, exported below.
  if timeout "$2" bash -c '"$@"' check "${@:3}"; then
    passed=$((passed + 1)); echo "-- $1: passed ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); echo "-- $1: FAILED ($((SECONDS - start)) s; a time limit of $2 s)"
  fi
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"

# 1. Kernels and device.
check "CUDA kernels against the CPU reference" 120 env LD_LIBRARY_PATH="$slimtune_libs" SLIMTUNE_REQUIRE_DEVICES=cuda \
  "$pack/bin/slimtune-unit-tests" --gtest_filter='*DeviceKernels*:Devices.*' --gtest_brief=1 \
  --gtest_output="xml:$out/cuda-tests.xml"

# 2. The same 50 steps on both devices.
export pack out slimtune_libs
run() { # STEP MODEL TOKENS STEPS JSON [LABELS...]
  LD_LIBRARY_PATH="$slimtune_libs" "$pack/bin/slimtune-run-steps" "$pack/steps/$1.so" "bench/configs/$2.json" "$pack/data/$3.u32" "$4" \
    --random-weights 1 --seed 1 --json "$out/$5.json" "${@:6}" 2>"$out/$5.log"
}
export -f run
check "SmolLM2-135M, 50 steps on the GPU" 120 run smollm2-b4s256-baseline-cuda smollm2-135m smollm2 50 curves/cuda
# The CPU's curve was run by gpu_pack.sh; without it, here.
if [ -f "$pack/curves/cpu.json" ]; then
  cp "$pack/curves/cpu.json" "$out/curves/cpu.json"
else
  check "SmolLM2-135M, 50 steps on the CPU" 240 run smollm2-b4s256-baseline-cpu smollm2-135m smollm2 50 curves/cpu
fi
check "loss curves GPU against CPU" 30 python3 bench/compare_curves.py "$out/curves/cpu.json" "$out/curves/cuda.json"
# bf16 weights on the GPU against fp32 on the GPU: the rounding of weights and of the
# products' inputs, within 1% over the run (0.01% on the tiny CPU fixtures).
check "SmolLM2-135M, 50 steps on the GPU, bf16 weights" 120 run smollm2-b4s256-baseline-cuda-bf16 smollm2-135m smollm2 50 curves/cuda-bf16
check "loss curves bf16 against fp32 weights" 30 python3 bench/compare_curves.py --tolerance 1e-2 "$out/curves/cuda.json" "$out/curves/cuda-bf16.json"
# The reversible pipeline (MEFT: couplings, rebuilt inputs, recomputed layers) on both devices.
check "SmolLM2-135M reversible, 50 steps on the GPU" 120 run smollm2-b4s256-reversible-cuda smollm2-135m smollm2 50 curves/cuda-reversible
if [ -f "$pack/curves/cpu-reversible.json" ]; then
  cp "$pack/curves/cpu-reversible.json" "$out/curves/cpu-reversible.json"
else
  check "SmolLM2-135M reversible, 50 steps on the CPU" 300 run smollm2-b4s256-reversible-cpu smollm2-135m smollm2 50 curves/cpu-reversible
fi
check "reversible loss curves GPU against CPU" 30 python3 bench/compare_curves.py "$out/curves/cpu-reversible.json" "$out/curves/cuda-reversible.json"
# CE-LoRA (SVD factors, the GPU's column selection and sampled products) on both devices.
check "SmolLM2-135M CE-LoRA, 50 steps on the GPU" 120 run smollm2-b4s256-celora-cuda smollm2-135m smollm2 50 curves/cuda-celora
if [ -f "$pack/curves/cpu-celora.json" ]; then
  cp "$pack/curves/cpu-celora.json" "$out/curves/cpu-celora.json"
else
  check "SmolLM2-135M CE-LoRA, 50 steps on the CPU" 300 run smollm2-b4s256-celora-cpu smollm2-135m smollm2 50 curves/cpu-celora
fi
check "CE-LoRA loss curves GPU against CPU" 30 python3 bench/compare_curves.py "$out/curves/cpu-celora.json" "$out/curves/cuda-celora.json"

# The linear kernels against the raw cuBLAS call they are built on.
bench_linear() {
  set -o pipefail
  LD_LIBRARY_PATH="$slimtune_libs" "$pack/bin/bench-cuda-linear" | tee "$out/bench-cuda-linear.txt"
}
export -f bench_linear
check "CUDA linear kernels against raw cuBLAS" 120 bench_linear

# 3. The benchmark, one model at a time (each frees the GPU before the next).
for model in smollm2-135m llama-1b llama-7b; do
  case $model in llama-7b) batch=1 seq=2048 tokens=llama ;; llama-1b) batch=4 seq=1024 tokens=llama ;; *) batch=4 seq=1024 tokens=smollm2 ;; esac
  check "HF+PEFT $model" 150 python3 bench/hf_peft_step.py --config "bench/configs/$model.json" --model "$model" \
    --batch $batch --seq $seq --steps 12 --warmup 3 --json "$out/hf-$model.json"
  for pipeline in baseline lean; do
    check "slimtune $pipeline $model" 120 run "$model-$pipeline" "$model" "$tokens" 12 "slimtune-$model-$pipeline" \
      --warmup 3 --label "model=$model" --label "pipeline=$pipeline" \
      --label "gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
  done
done
python3 bench/gpu_table.py "$out" | tee "$out/table.md"
echo "gpu_check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
