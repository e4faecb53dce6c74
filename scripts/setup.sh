#!/usr/bin/env bash
# Installs every system package slimtune's build and tests need on a fresh Debian 12 machine.
# Idempotent and quiet: packages already present are skipped; apt's output goes to a log that is
# shown only when something fails. Nothing else on the machine is assumed.
set -euo pipefail

# LLVM/MLIR are pinned to 19 (bookworm main); 22 lives in bookworm-security and conflicts with it.
packages=(
  cmake ninja-build lld pkg-config
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools liblld-19-dev
  clang-19 libclang-rt-19-dev libomp-19-dev
  libopenblas-dev libdnnl-dev
  # oneDNN's CMake config looks for OpenCL (headers + ICD loader) even for its CPU build.
  ocl-icd-opencl-dev opencl-c-headers
  nlohmann-json3-dev libpcre2-dev libssl-dev
  libgtest-dev libbenchmark-dev
  python3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} system packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
log=$(mktemp /tmp/slimtune-setup.XXXXXX.log)
echo "setup: installing ${missing[*]} (log: $log)"
export DEBIAN_FRONTEND=noninteractive
# Install first from the existing lists; refresh them only when that fails (stale or empty lists).
if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  if ! { $sudo apt-get update -qq && \
         $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "slimtune: error: setup: apt-get could not install: ${missing[*]} (see $log)" >&2
    exit 1
  fi
fi
echo "setup: done"
