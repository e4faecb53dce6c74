#!/usr/bin/env python3
"""Summarizes a `slimtune train --log` JSONL file: the step records (their range and keys)
and the evaluation records (their steps and keys), and whether the validation loss fell from
the first evaluation to the last. Fails on a line that is not a JSON object.

  summarize_metrics.py METRICS.jsonl
"""
import json
import sys

steps, evals = [], []
with open(sys.argv[1]) as f:
    for number, line in enumerate(f, 1):
        record = json.loads(line)
        if not isinstance(record, dict):
            sys.exit(f"line {number}: not a JSON object")
        (evals if "val_loss" in record else steps).append(record)
step_keys = sorted({k for r in steps for k in r})
eval_keys = sorted({k for r in evals for k in r})
numbers = [r["step"] for r in steps]
if numbers != list(range(1, len(numbers) + 1)):
    sys.exit(f"step records out of order: {numbers}")
print(f"{len(steps)} steps (1-{numbers[-1]}): {' '.join(step_keys)}")
print(f"{len(evals)} evaluations at steps {' '.join(str(r['step']) for r in evals)}: {' '.join(eval_keys)}")
if len(evals) >= 2:
    first, last = evals[0]["val_loss"], evals[-1]["val_loss"]
    print(f"validation loss {'fell' if last < first else 'did not fall'} from {first:.4f} "
          f"(step {evals[0]['step']}) to {last:.4f} (step {evals[-1]['step']})")
