#!/usr/bin/env python3
"""Checks that two `slimtune train` runs (same model, data, seed and settings, different
pipelines) followed the same loss curve: every step's loss and the final loss within
TOLERANCE relative of the first run's. Prints the largest relative difference and the peak
memory of both (so a test can also check which one is smaller).

  compare_training_logs.py FIRST.log SECOND.log TOLERANCE
"""
import re
import sys


def read(path):
    log = open(path).read()
    losses = [float(m.group(1)) for m in re.finditer(r"^step \d+/\d+ .*loss (\S+)", log, re.M)]
    final = re.search(r"^final loss: (\S+)$", log, re.M)
    peak = re.search(r"^peak memory: (\d+) bytes$", log, re.M)
    if not losses or not final or not peak:
        print(f"{path}: no step lines, final loss or peak memory")
        sys.exit(1)
    return losses + [float(final.group(1))], int(peak.group(1))


(first, first_peak), (second, second_peak) = read(sys.argv[1]), read(sys.argv[2])
tolerance = float(sys.argv[3])
if len(first) != len(second):
    print(f"{len(first) - 1} steps against {len(second) - 1}")
    sys.exit(1)
largest = max(abs(a - b) / abs(a) for a, b in zip(first, second))
print(f"{len(first) - 1} steps: largest relative loss difference {largest:.1e}; "
      f"peak memory {first_peak} vs {second_peak} bytes")
if largest > tolerance:
    print(f"the losses differ by more than {tolerance:g}")
    sys.exit(1)
