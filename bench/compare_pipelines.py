"""Summarizes scripts/bench_pipelines.sh: per pipeline the stashed bytes and planned peak of its
memory report, the measured peak and final validation loss of its training log, and the median
step time from its metrics (differences of elapsed_s between consecutive steps, so the
evaluation pauses fall out); then each pipeline against the first.

Usage: compare_pipelines.py RUN_DIR PIPELINE...
"""
import json
import re
import statistics
import sys

run, pipelines = sys.argv[1], sys.argv[2:]
rows = {}
for p in pipelines:
    report = open(f"{run}/{p}.report").read()
    log = open(f"{run}/{p}.log").read()
    steps = [json.loads(l) for l in open(f"{run}/{p}.jsonl") if '"loss"' in l]
    elapsed = [s["elapsed_s"] for s in steps]
    rows[p] = {
        "stashed": int(re.search(r"^stashed bytes by op kind \((\d+) bytes in all\)", report, re.M).group(1)),
        "planned": int(re.search(r"^peak: (\d+) bytes$", report, re.M).group(1)),
        "measured": int(re.search(r"^peak memory: (\d+) bytes$", log, re.M).group(1)),
        "step_s": statistics.median(b - a for a, b in zip(elapsed, elapsed[1:])),
        "val": float(re.search(r"^validation loss: ([0-9.]+)$", log, re.M).group(1)),
        "steps": len(steps),
    }
print(f"{'pipeline':<10} {'steps':>5} {'stashed bytes':>14} {'planned peak':>14} "
      f"{'measured peak':>14} {'step (median)':>14} {'val loss':>9}")
for p, r in rows.items():
    print(f"{p:<10} {r['steps']:>5} {r['stashed']:>14} {r['planned']:>14} {r['measured']:>14} "
          f"{r['step_s']:>12.3f} s {r['val']:>9.4f}")
base = rows[pipelines[0]]
for p in pipelines[1:]:
    r = rows[p]
    print(f"{p} vs {pipelines[0]}: stashed {100 * (r['stashed'] / base['stashed'] - 1):+.1f}%, "
          f"peak {100 * (r['measured'] / base['measured'] - 1):+.1f}%, "
          f"step time {100 * (r['step_s'] / base['step_s'] - 1):+.1f}%, "
          f"validation loss {100 * (r['val'] / base['val'] - 1):+.2f}%")
