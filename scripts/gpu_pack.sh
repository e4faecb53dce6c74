#!/usr/bin/env bash
# Prepares, on a development machine (LLVM/MLIR, nvcc; no GPU needed), everything
# scripts/gpu_check.sh runs on a GPU machine that has nvcc, CMake, PyTorch, transformers and
# peft but no LLVM/MLIR, in .gpu/ (git-ignored, under the device tool's 64 MiB):
#   bin/   the CUDA kernel tests (slimtune-unit-tests), slimtune-run-steps (runtime only) and
#          bench-cuda-linear (the linear kernels against the raw cuBLAS call)
#   lib/   libslimtune_cuda.so, and the runtime's own shared libraries (oneDNN, OpenBLAS, ...)
#          as libs.tar.xz, for a machine that lacks them
#   steps/ compiled training steps: SmolLM2-135M at batch 4 x seq 256 (baseline) for the CPU
#          and the GPU in fp32 and for the GPU with bf16 weights (the loss curves), and
#          baseline and lean for the GPU with bf16 weights at the benchmark shapes:
#          SmolLM2-135M and LLaMA-1B at batch 4 x seq 1024, LLaMA-7B at 1 x 2048
#   data/  token ids: the fortunes corpus in SmolLM2's tokenizer (the loss curves), random ids
#          for the LLaMA shapes
#   curves/cpu.json  the CPU's 50 steps of the loss curve, run here
# Models are bench/configs/*.json with random weights (--random-weights): nothing to download.
# Usage: scripts/gpu_pack.sh   (then: scripts/gpu_check.sh on the GPU machine)
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE
command -v nvcc >/dev/null || { echo "slimtune: error: gpu_pack.sh needs nvcc (the CUDA toolkit) to build the CUDA backend" >&2; exit 1; }
scripts/build.sh -DSLIMTUNE_ENABLE_CUDA=ON >/dev/null
build=${SLIMTUNE_BUILD_DIR:-build}
pack=.gpu
rm -rf "$pack"
mkdir -p "$pack"/{bin,lib,steps,data}
grep -qxF "/$pack/" .git/info/exclude 2>/dev/null || echo "/$pack/" >>.git/info/exclude

cp "$build/bin/slimtune-unit-tests" "$build/bin/slimtune-run-steps" "$build/bin/bench-cuda-linear" "$pack/bin/"
cp "$build/lib/libslimtune_cuda.so" "$pack/lib/"
strip --strip-unneeded "$pack"/bin/* "$pack/lib/libslimtune_cuda.so"
# The runtime's shared libraries other than the C and C++ runtimes every Linux has.
libs=$(ldd "$pack"/bin/* | awk '/=> \// {print $3}' | sort -u |
       grep -vE '/(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux[^/]*|libcublas|libcublasLt)\.so')
tar -chJf "$pack/lib/libs.tar.xz" --transform 's|.*/||' $libs

adapter=bench/configs/lora-r16.json  # what bench/hf_peft_step.py gives PEFT
slimtune=$build/bin/slimtune
step() { # NAME CONFIG BATCH SEQ PIPELINE TARGET PRECISION
  "$slimtune" import --model "bench/configs/$2.json" --adapter "$adapter" --batch "$3" --seq "$4" \
    --precision "$7" -o "$pack/steps/$1.mlir"
  "$slimtune" compile "$pack/steps/$1.mlir" --pipeline "$5" --target "$6" -o "$pack/steps/$1.so"
  rm "$pack/steps/$1.mlir"
}
step smollm2-b4s256-baseline-cpu smollm2-135m 4 256 baseline cpu fp32
step smollm2-b4s256-baseline-cuda smollm2-135m 4 256 baseline cuda fp32
step smollm2-b4s256-baseline-cuda-bf16 smollm2-135m 4 256 baseline cuda bf16
# Reversible layers (scaled_add, rebuilding, recomputing) on both devices.
step smollm2-b4s256-reversible-cpu smollm2-135m 4 256 reversible cpu fp32
step smollm2-b4s256-reversible-cuda smollm2-135m 4 256 reversible cuda fp32
# CE-LoRA (SVD factors bound at load, column selection and sampled products) on both devices,
# the columns chosen every 10 steps so that the run refreshes them.
step smollm2-b4s256-celora-cpu smollm2-135m 4 256 'lean{ce-lora=true ce-lora-refresh=10}' cpu fp32
step smollm2-b4s256-celora-cuda smollm2-135m 4 256 'lean{ce-lora=true ce-lora-refresh=10}' cuda fp32
# The benchmark: bf16 frozen weights, as `train --target cuda` compiles by default.
for pipeline in baseline lean; do
  step "smollm2-135m-$pipeline" smollm2-135m 4 1024 "$pipeline" cuda bf16
  step "llama-1b-$pipeline" llama-1b 4 1024 "$pipeline" cuda bf16
  step "llama-7b-$pipeline" llama-7b 1 2048 "$pipeline" cuda bf16
done

corpus=$(scripts/fetch_corpus.sh)
smollm2=$(scripts/fetch_smollm2.sh)
"$build/bin/slimtune-tokenize" "$smollm2" "$corpus" |
  python3 -c "import sys, array; array.array('I', map(int, sys.stdin.read().split())).tofile(open(sys.argv[1], 'wb'))" \
    "$pack/data/smollm2.u32"
python3 -c "import random, array, sys; r = random.Random(1); array.array('I', (r.randrange(32000) for _ in range(1 << 18))).tofile(open(sys.argv[1], 'wb'))" \
  "$pack/data/llama.u32"
# The CPU side of the loss curves, here, so that the GPU's minutes go to the GPU (about three
# minutes on two cores): the same step compiled for the CPU, the same weights, adapter seed and
# data as gpu_check.sh gives the GPU.
mkdir -p "$pack/curves"
"$build/bin/slimtune-run-steps" "$pack/steps/smollm2-b4s256-baseline-cpu.so" bench/configs/smollm2-135m.json \
  "$pack/data/smollm2.u32" 50 --random-weights 1 --seed 1 --json "$pack/curves/cpu.json" 2>"$pack/curves/cpu.log"
"$build/bin/slimtune-run-steps" "$pack/steps/smollm2-b4s256-reversible-cpu.so" bench/configs/smollm2-135m.json \
  "$pack/data/smollm2.u32" 50 --random-weights 1 --seed 1 --json "$pack/curves/cpu-reversible.json" 2>"$pack/curves/cpu-reversible.log"
"$build/bin/slimtune-run-steps" "$pack/steps/smollm2-b4s256-celora-cpu.so" bench/configs/smollm2-135m.json \
  "$pack/data/smollm2.u32" 50 --random-weights 1 --seed 1 --json "$pack/curves/cpu-celora.json" 2>"$pack/curves/cpu-celora.log"
du -sh "$pack"
