#!/usr/bin/env python3
"""Builds the libFuzzer targets (clang-19, ASan/UBSan, runtime only) and runs each one.

  scripts/fuzz.py --seconds 15 [--junit report.xml]     (the test command's bounded run)
  scripts/fuzz.sh 600                                    (a longer run)
  scripts/fuzz.py --runs 1000000                          (a million executions per target)

Then the files the hostile-input suite (test/hostile) wrote for each target run through it once,
under the same sanitizers. Each target starts from its seeds (test/fuzz/seeds/<target>, plus
the generated fixture files for the binary formats and tokenizer.json, and the source tree's IR
files in SOURCE_SEEDS for slim_ir) and keeps its corpus in build-fuzz/corpus/<target> across
runs. A crash, leak, sanitizer report or timeout fails the target; its reproducer is left in
build-fuzz/artifacts/.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ["safetensors", "gguf", "config_json", "adapter_config", "tokenizer_json", "text_documents",
           "checkpoint_state", "step_manifest", "gguf_model", "token_file", "safetensors_index", "slim_ir"]
FIXTURE_SEEDS = {"safetensors": "*/*.safetensors", "gguf": "*.gguf", "gguf_model": "*.gguf",
                 "tokenizer_json": "*/tokenizer.json"}
# Seeds that are files of the source tree (paths relative to it), used where they lie.
SOURCE_SEEDS = {"slim_ir": ["examples/llama-2layer-lora.mlir", "test/passes/slim-optimizer.mlir"]}


def build(build_dir):
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        subprocess.run(["cmake", "-G", "Ninja", "-S", ROOT, "-B", build_dir,
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DCMAKE_C_COMPILER=clang-19",
                        "-DCMAKE_CXX_COMPILER=clang++-19", "-DSLIMTUNE_FUZZ=ON",
                        "-DSLIMTUNE_ENABLE_COMPILER=OFF", "-DSLIMTUNE_BUILD_TESTS=OFF",
                        "-DSLIMTUNE_BUILD_BENCHMARKS=OFF"],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir], check=True, stdout=subprocess.DEVNULL)


def corpus_for(target, build_dir, fixtures):
    corpus = os.path.join(build_dir, "corpus", target)
    os.makedirs(corpus, exist_ok=True)
    seeds = glob.glob(os.path.join(ROOT, "test", "fuzz", "seeds", target, "*"))
    if target in FIXTURE_SEEDS and fixtures:
        seeds += glob.glob(os.path.join(fixtures, FIXTURE_SEEDS[target]))
    seeds += [os.path.join(ROOT, path) for path in SOURCE_SEEDS.get(target, [])]
    for seed in seeds:
        # Large seeds slow every execution; the fuzzer only needs their structure.
        if os.path.getsize(seed) <= 256 * 1024:
            shutil.copy(seed, os.path.join(corpus, os.path.basename(os.path.dirname(seed)) + "-" + os.path.basename(seed)))
    return corpus


def run(target, seconds, build_dir, fixtures, runs=0):
    binary = os.path.join(build_dir, "bin", "fuzz-" + target)
    artifacts = os.path.join(build_dir, "artifacts") + "/"
    os.makedirs(artifacts, exist_ok=True)
    corpus = corpus_for(target, build_dir, fixtures)
    limit = f"-runs={runs}" if runs else f"-max_total_time={seconds}"
    command = [binary, corpus, limit, "-rss_limit_mb=2048", "-timeout=10",
               "-max_len=65536", f"-artifact_prefix={artifacts}{target}-", "-print_final_stats=1"]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = re.findall(r"Done (\d+) runs", result.stdout)
    execs = int(done[-1]) if done else 0
    ok = result.returncode == 0
    return ok, execs, result.stdout


def run_hostile(target, build_dir, corpus):
    """Runs the hostile-input suite's files for this target (test/hostile) through it once each,
    under ASan/UBSan; returns (ok, count, log)."""
    folder = os.path.join(corpus, target)
    files = sorted(glob.glob(os.path.join(folder, "*"))) if os.path.isdir(folder) else []
    if not files:
        return True, 0, ""
    binary = os.path.join(build_dir, "bin", "fuzz-" + target)
    result = subprocess.run([binary, "-rss_limit_mb=2048", "-timeout=10"] + files,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return result.returncode == 0, len(files), result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--runs", type=int, default=0,
                        help="run each target this many executions instead of --seconds")
    parser.add_argument("--targets", help="comma-separated subset of the targets")
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build-fuzz"))
    parser.add_argument("--fixtures", default=os.path.join(ROOT, "build", "fixtures"))
    parser.add_argument("--junit")
    parser.add_argument("--hostile-corpus", default=os.path.join(ROOT, "build", "hostile-corpus"),
                        help="files the hostile-input suite wrote, per target, to run under ASan")
    args = parser.parse_args()
    try:
        build(args.build_dir)
    except subprocess.CalledProcessError:
        print("slimtune: error: could not build the fuzz targets (needs clang-19 and libclang-rt-19-dev)",
              file=sys.stderr)
        return 1
    suite = ET.Element("testsuite", name="fuzz")
    failed = 0
    import time
    for target in (args.targets.split(",") if args.targets else TARGETS):
        began = time.time()
        ok, execs, log = run(target, args.seconds, args.build_dir, args.fixtures, args.runs)
        seconds = args.seconds if not args.runs else round(time.time() - began)
        hostile_ok, hostile, hostile_log = run_hostile(target, args.build_dir, args.hostile_corpus)
        if not hostile_ok:
            ok, log = False, hostile_log
        print(f"fuzz-{target}: {execs} executions in {seconds} s"
              f"{f', {hostile} hostile inputs' if hostile else ''}, {'clean' if ok else 'FAILED'}", flush=True)
        case = ET.SubElement(suite, "testcase", classname="fuzz", name=target)
        if not ok:
            failed += 1
            print(log[-4000:], file=sys.stderr)
            ET.SubElement(case, "failure", message=f"fuzz-{target} found a problem").text = log[-4000:]
    if args.junit:
        ET.ElementTree(suite).write(args.junit)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
