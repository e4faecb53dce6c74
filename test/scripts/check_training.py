#!/usr/bin/env python3
"""Checks a `slimtune train` log: one "step N/T ... loss X" line per step, then "final loss: X"
and "peak memory: N bytes"; the loss must have fallen to at most FRACTION of the first
step's (default 0.8). Prints the first and final loss.

  check_training.py LOG STEPS [FRACTION]
"""
import re
import sys

log, steps = open(sys.argv[1]).read(), int(sys.argv[2])
fraction = float(sys.argv[3]) if len(sys.argv) > 3 else 0.8
losses = [float(m.group(2)) for m in re.finditer(r"^step (\d+)/\d+ .*loss (\S+)", log, re.M)]
final = re.search(r"^final loss: (\S+)$", log, re.M)
peak = re.search(r"^peak memory: (\d+) bytes$", log, re.M)
problems = []
if len(losses) != steps:
    problems.append(f"{len(losses)} step lines, expected {steps}")
if not final or not peak:
    problems.append("no final loss or peak memory line")
elif float(final.group(1)) > fraction * losses[0]:
    problems.append(f"the loss went from {losses[0]} to {final.group(1)}, not below {fraction} of it")
if problems:
    print("; ".join(problems))
    sys.exit(1)
print(f"loss fell from {losses[0]:.4f} to {float(final.group(1)):.4f}; peak memory {peak.group(1)} bytes")
