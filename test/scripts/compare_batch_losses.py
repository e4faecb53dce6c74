#!/usr/bin/env python3
"""Checks that one step over a large batch and several steps over its parts saw the same loss:
the mean of the small run's first N step losses must equal the large run's step-1 loss to
within TOLERANCE (relative). With a learning rate so small that the adapter does not move,
both runs evaluate the base model on the same sequences, in the same order.

  compare_batch_losses.py LARGE.jsonl SMALL.jsonl N TOLERANCE
"""
import json
import sys

large_path, small_path, n, tolerance = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])


def step_losses(path):
    with open(path) as f:
        records = [json.loads(line) for line in f]
    return {r["step"]: r["loss"] for r in records if "loss" in r}


large = step_losses(large_path)[1]
small = step_losses(small_path)
mean = sum(small[s] for s in range(1, n + 1)) / n
difference = abs(large - mean) / abs(mean)
print(f"large batch {large:.7f}, mean of {n} small batches {mean:.7f}, relative difference {difference:.2e}")
if not difference <= tolerance:
    sys.exit(f"the losses differ by {difference:.2e} > {tolerance:.0e}")
