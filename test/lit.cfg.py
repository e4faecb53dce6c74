# -*- Python -*-
# lit configuration of slimtune's FileCheck tests: dialect round-trips and diagnostics, one
# file per pass flag, the examples, command-line behaviour of the tools, and cross-checks
# against reference implementations in Python.
#
# Optional inputs, found through the environment (scripts/run_tests.py sets them) or their
# default places; tests that need a missing one are reported unsupported (skipped):
#   SLIMTUNE_PYTHON  a Python with numpy, safetensors and gguf   (feature python-refs),
#                    and Hugging Face tokenizers                    (feature tokenizers-ref)
#   SLIMTUNE_SMOLLM2 SmolLM2-135M-Instruct.Q4_1.gguf              (feature smollm2)

import os
import shutil
import subprocess
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "slimtune"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.slimtune_obj_root, "test")
# Unit tests (GoogleTest), fuzz targets and helper scripts live beside the lit tests.
config.excludes = ["unit", "fuzz", "fixtures", "Inputs", "scripts", "CMakeLists.txt",
                   "lit.cfg.py", "lit.site.cfg.py"]

bin_dir = os.path.join(config.slimtune_obj_root, "bin")
config.substitutions.append(("%slimtune_src", config.slimtune_src_root))
config.substitutions.append(("%slimtune_build", config.slimtune_obj_root))
# `cmake --install` of the build into PREFIX, then a C program built against it with
# pkg-config, as an integrator builds one: %install-c-api PREFIX, %cc-slimtune PREFIX SOURCE -o OUT.
config.substitutions.append(("%install-c-api", "cmake --install " + config.slimtune_obj_root +
                             " --component c-api --prefix"))
config.substitutions.append(("%cc-slimtune", os.path.join(config.slimtune_src_root, "test",
                                                          "scripts", "cc_slimtune.sh")))
config.substitutions.append(("%fixtures", os.path.join(config.slimtune_obj_root, "fixtures")))
config.substitutions.append(("%scripts", os.path.join(config.slimtune_src_root, "test", "scripts")))
# A command that must fail with one "slimtune: error:" line (see scripts/one_error.py).
config.substitutions.append(("%one-error", sys.executable + " " + os.path.join(
    config.slimtune_src_root, "test", "scripts", "one_error.py")))
# LD_PRELOAD shim: write() fails with ENOSPC on paths containing $SLIMTUNE_TEST_FULL_DISK.
config.substitutions.append(("%full-disk-shim", os.path.join(config.slimtune_obj_root, "lib",
                                                             "libslimtune-full-disk.so")))
# Token caches of --data runs stay in the build tree (tests that check the cache use their own).
config.environment["SLIMTUNE_CACHE"] = os.path.join(config.slimtune_obj_root, "test", "cache")
# Compiled steps use OpenMP; one thread keeps the many small test steps fast and steady.
config.environment["OMP_NUM_THREADS"] = "1"
config.environment.pop("OPENBLAS_CORETYPE", None)
# Helper scripts that need no third-party package run with %python, lit's own interpreter.

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["slimtune-opt", "slimtune", "slimtune-dump-weights", "slimtune-check-step",
     "slimtune-tokenize", "slimtune-run-steps"],
    [bin_dir, config.llvm_tools_dir])

python = os.environ.get("SLIMTUNE_PYTHON") or os.path.join(config.slimtune_obj_root, "venv", "bin", "python")
if os.path.exists(python) and subprocess.call(
        [python, "-c", "import numpy, safetensors, gguf"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("python-refs")
    # Not %python: LLVM's default substitutions already name lit's own interpreter so.
    config.substitutions.append(("%refpython", python))
    # Hugging Face tokenizers, for the tokenizer cross-checks (a feature of its own, so that a
    # missing wheel skips only those).
    if subprocess.call([python, "-c", "import tokenizers"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
        config.available_features.add("tokenizers-ref")
    else:
        lit_config.note("no Hugging Face tokenizers in " + python + ": the tokenizer "
                        "cross-checks are skipped")
else:
    lit_config.note("no Python with numpy, safetensors and gguf (scripts/python_env.sh): "
                    "the cross-check tests are skipped")

# PyTorch + transformers + peft, for loading exported adapters as users do. Too big for the
# test venv (PyPI's torch wheels bring CUDA): point SLIMTUNE_PEFT_PYTHON at a Python that has
# them, or install them into the venv.
peft_python = os.environ.get("SLIMTUNE_PEFT_PYTHON") or python
if os.path.exists(peft_python) and subprocess.call(
        [peft_python, "-c", "import torch, transformers, peft, safetensors, numpy"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("peft")
    config.substitutions.append(("%peftpython", peft_python))
else:
    lit_config.note("no Python with torch, transformers and peft (set SLIMTUNE_PEFT_PYTHON): "
                    "the PEFT loading test is skipped")

# Tests that run a step of several GiB (64-bit sizes) need the memory to be there.
def available_memory_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


if available_memory_bytes() >= 10 * 2**30:
    config.available_features.add("large-memory")
else:
    lit_config.note("less than 10 GiB of memory available: the tests of steps over 4 GiB are skipped")

smollm2 = os.environ.get("SLIMTUNE_SMOLLM2") or os.path.join(
    os.environ.get("SLIMTUNE_CACHE", os.path.expanduser("~/.cache/slimtune")),
    "SmolLM2-135M-Instruct.Q4_1.gguf")
if os.path.exists(smollm2):
    config.available_features.add("smollm2")
    config.substitutions.append(("%smollm2", smollm2))
else:
    lit_config.note(f"SmolLM2-135M not found at {smollm2} (scripts/fetch_smollm2.sh): "
                    "the tests that need it are skipped")

# A GPU this machine's steps can run on: tests of what happens without one are unsupported
# there (the GPU's own checks are scripts/gpu_check.sh).
if shutil.which("nvidia-smi") and subprocess.call(
        ["nvidia-smi", "-L"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("cuda-device")
