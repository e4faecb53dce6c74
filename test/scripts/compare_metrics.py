#!/usr/bin/env python3
"""Compares two `slimtune train --log` files over steps FIRST..LAST: every step record and
every evaluation record must be identical except for timings (elapsed_s, tokens_per_s).
Exits 1 naming the first difference.

  compare_metrics.py A.jsonl B.jsonl FIRST LAST
"""
import json
import sys

TIMINGS = {"elapsed_s", "tokens_per_s"}


def records(path, first, last):
    steps, evals = {}, {}
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if not first <= record.get("step", -1) <= last:
                continue
            kept = {k: v for k, v in record.items() if k not in TIMINGS}
            (evals if "val_loss" in record else steps)[record["step"]] = kept
    return steps, evals


a_path, b_path, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
a_steps, a_evals = records(a_path, first, last)
b_steps, b_evals = records(b_path, first, last)
if len(a_steps) != last - first + 1:
    sys.exit(f"{a_path}: {len(a_steps)} step records in {first}-{last}, expected {last - first + 1}")
for kind, a, b in (("step", a_steps, b_steps), ("evaluation", a_evals, b_evals)):
    if sorted(a) != sorted(b):
        sys.exit(f"{kind} records at steps {sorted(a)} against {sorted(b)}")
    for step in sorted(a):
        if a[step] != b[step]:
            sys.exit(f"step {step}: {kind} records differ: {a[step]} against {b[step]}")
print(f"steps {first}-{last}: {len(a_steps)} step records and {len(a_evals)} evaluations identical")
