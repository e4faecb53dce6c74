#!/usr/bin/env python3
"""The hostile-input suite: generated bad inputs of every kind slimtune reads (model folders,
safetensors and GGUF files, adapter configs, IR, data files, command-line arguments,
checkpoints), each run through the command a user would give it. Every case must end with a
clean failure as test/scripts/one_error.py defines it (a non-zero exit status, not a signal;
nothing on stdout; exactly one "slimtune: error: ..." line on stderr besides any warnings),
and that error line must name the file (or the option) and say what is wrong.

  hostile.py --slimtune BIN --fixtures DIR --work DIR [--asan-corpus DIR] [--jobs N]
             [--only CATEGORY] [--list]

The files of the parser-level cases are also written to --asan-corpus/<fuzz target>/, for
scripts/fuzz.py to run through the ASan/UBSan fuzz targets. Prints one line per failing case
and a summary; exits 1 when any case fails.
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))

from cases import adapters, checkpoints, cli, data, gguf_files, ir, models, safetensors_files  # noqa: E402
from cases.common import Context  # noqa: E402
from one_error import clean_failure  # noqa: E402

CATEGORIES = {
    "model folders": models,
    "safetensors": safetensors_files,
    "gguf": gguf_files,
    "adapter configs": adapters,
    "ir": ir,
    "data files": data,
    "cli arguments": cli,
    "checkpoints": checkpoints,
}


def check(case, slimtune_dir, show=False):
    """Runs one case; returns "" when it failed cleanly, else what was wrong."""
    env = dict(os.environ, PATH=slimtune_dir + os.pathsep + os.environ.get("PATH", ""))
    env.update(case.env)
    try:
        result = subprocess.run(case.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, timeout=case.timeout)
    except subprocess.TimeoutExpired:
        return f"hung (no exit within {case.timeout} s)"
    stderr = result.stderr.decode("utf-8", "replace")
    if show:
        print(f"{case.name}: {stderr.strip()[:300]}")
    problems, error = clean_failure(result.returncode, result.stdout.decode("utf-8", "replace"), stderr)
    if error:
        missing = [e for e in case.expect if e not in error]
        if missing:
            problems.append(f"the error does not name {missing}: {error[:300]!r}")
    return "; ".join(problems)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slimtune", required=True, help="the slimtune binary")
    parser.add_argument("--fixtures", required=True, help="the build's fixtures folder")
    parser.add_argument("--work", required=True, help="a scratch folder (emptied)")
    parser.add_argument("--asan-corpus", help="where to write parser inputs for the fuzz targets")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--only", choices=sorted(CATEGORIES))
    parser.add_argument("--list", action="store_true", help="list the cases, run nothing")
    parser.add_argument("--show", action="store_true", help="print every case's error line")
    args = parser.parse_args()

    slimtune = shutil.which(args.slimtune) or os.path.abspath(args.slimtune)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    if args.asan_corpus:
        shutil.rmtree(args.asan_corpus, ignore_errors=True)
    ctx = Context(slimtune, os.path.abspath(args.fixtures), os.path.abspath(args.work),
                  args.asan_corpus and os.path.abspath(args.asan_corpus))
    all_cases = []
    for name, module in CATEGORIES.items():
        if args.only and name != args.only:
            continue
        for case in module.cases(ctx.category(name)):
            case.category = name
            case.name = module.__name__.split(".")[-1] + ":" + case.name
            all_cases.append(case)
    names = [c.name for c in all_cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        sys.exit(f"hostile.py: duplicate case names {sorted(duplicates)}")
    if args.list:
        for c in all_cases:
            print(f"{c.category}: {c.name}: {' '.join(c.argv[1:])}")
        return 0

    slimtune_dir = os.path.dirname(slimtune)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = list(pool.map(lambda c: check(c, slimtune_dir, args.show), all_cases))
    failed = 0
    per_category = {}
    for case, problem in zip(all_cases, outcomes):
        total, bad = per_category.get(case.category, (0, 0))
        per_category[case.category] = (total + 1, bad + (1 if problem else 0))
        if problem:
            failed += 1
            print(f"FAIL {case.category}: {case.name}: {problem}\n  command: {' '.join(case.argv)}")
    for name, (total, bad) in per_category.items():
        print(f"{name}: {total} cases, {total - bad} clean")
    print(f"{len(all_cases)} cases: {len(all_cases) - failed} clean errors, {failed} problems")
    if ctx.corpus_files:
        print(f"{ctx.corpus_files} parser inputs written for the ASan/UBSan fuzz targets")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
