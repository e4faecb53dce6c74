"""Checks that `slimtune compile --memory-budget` meets budgets by rematerialization.

For a graph and a pipeline: the planned peak without slim-remat and with every candidate
recomputed; then budgets from the latter up to just under the former must each compile with a
planned peak within them (recomputing more for smaller budgets), and a budget one byte under
full rematerialization must fail, saying so. Prints one line per budget and a summary.
usage: remat_budgets.py SLIMTUNE GRAPH.mlir PIPELINE
"""
import re
import subprocess
import sys

slimtune, graph, pipeline = sys.argv[1:4]


def compile_report(pipe, budget=None):
    cmd = [slimtune, "compile", graph, "--pipeline", pipe, "--memory-report"]
    if budget is not None:
        cmd += ["--memory-budget", str(budget)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    peak = re.search(r"^peak: (\d+) bytes$", run.stdout, re.M)
    chosen = re.search(r"^recomputed in the backward \(slim-remat\): (\d+) of (\d+)", run.stdout, re.M)
    return run, int(peak.group(1)) if peak else None, chosen


def with_remat(count):
    return pipeline[:-1] + f" remat={count}}}" if pipeline.endswith("}") else pipeline + f"{{remat={count}}}"


_, none, _ = compile_report(pipeline)
_, full, _ = compile_report(with_remat(-1))
if none is None or full is None or not full < none:
    sys.exit(f"expected full rematerialization to plan less: {full} vs {none}")
problems, last = [], -1
for fraction in (1.0, 0.75, 0.5, 0.25, 0.0):
    budget = full + int(fraction * (none - 1 - full))
    run, peak, chosen = compile_report(pipeline, budget)
    if run.returncode != 0 or peak is None or peak > budget or not chosen:
        problems.append(f"budget {budget}: rc {run.returncode}, peak {peak}: {run.stderr.strip()}")
        continue
    count = int(chosen.group(1))
    print(f"budget {budget}: planned peak {peak}, recomputing {count} of {chosen.group(2)}")
    if count < last:
        problems.append(f"budget {budget}: recomputes {count}, fewer than a larger budget's {last}")
    last = count
run, _, _ = compile_report(pipeline, full - 1)
if run.returncode == 0 or "even with every one of the" not in run.stderr:
    problems.append(f"budget {full - 1} (under full rematerialization): {run.returncode} {run.stderr.strip()}")
if problems:
    sys.exit("\n".join(problems))
print(f"5 budgets met between {full} and {none - 1} bytes; {full - 1} refused")
