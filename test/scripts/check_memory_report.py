"""Checks a `slimtune compile --memory-report` output for consistency and prints a summary.

The category lines must sum to the peak; the last pass's planned peak must be the final peak;
the stash groups must sum to the stashed total; with --train-log LOG, the training run's
measured `peak memory: N bytes` must be within 1% of the plan (and not below it).
Exit 1 with the problems otherwise.
"""
import argparse
import re
import sys

CATEGORIES = ["frozen weights", "trainable params", "gradients", "optimizer state",
              "stashed activations", "workspace"]

parser = argparse.ArgumentParser()
parser.add_argument("report")
parser.add_argument("--train-log")
args = parser.parse_args()
text = open(args.report).read()
problems = []

values = {}
for name in CATEGORIES + ["peak"]:
    m = re.search(rf"^{name}: (\d+) bytes$", text, re.M)
    if not m:
        problems.append(f"no line '{name}: N bytes'")
    else:
        values[name] = int(m.group(1))
lines = [l for l in text.splitlines() if re.match(r"^[a-z ]+: \d+ bytes$", l)]
if [l.split(":")[0] for l in lines] != CATEGORIES + ["peak"]:
    problems.append(f"category lines out of order: {[l.split(':')[0] for l in lines]}")
if len(values) == len(CATEGORIES) + 1 and sum(values[c] for c in CATEGORIES) != values["peak"]:
    problems.append(f"categories sum to {sum(values[c] for c in CATEGORIES)}, peak is {values['peak']}")

rows = re.findall(r"^(\S+)\s+(\d+)\s+(\d+)\s+\S+ \S+$", text, re.M)
if not rows:
    problems.append("no per-pass rows")
elif "peak" in values and int(rows[-1][2]) != values["peak"]:
    problems.append(f"last pass row's peak {rows[-1][2]} is not the final peak {values['peak']}")

total = re.search(r"^stashed bytes by op kind \((\d+) bytes in all\)$", text, re.M)
groups = [int(b) for b in re.findall(r"^  \S+\s+\d+ stashes\s+(\d+) bytes", text, re.M)]
if not total or sum(groups) != int(total.group(1)):
    problems.append(f"stash groups {groups} do not sum to the stashed total")

summary = f"{len(rows)} pass rows; peak {values.get('peak')} bytes"
if args.train_log:
    log = open(args.train_log).read()
    m = re.search(r"^peak memory: (\d+) bytes$", log, re.M)
    if not m:
        problems.append("the training log has no 'peak memory' line")
    elif "peak" in values:
        measured, planned = int(m.group(1)), values["peak"]
        ratio = measured / planned
        if not (1.0 <= ratio <= 1.01):
            problems.append(f"measured peak {measured} is not within 1% above the plan {planned}")
        summary += f"; measured {measured} bytes = plan x {ratio:.4f}"
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(summary)
