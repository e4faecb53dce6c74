#!/usr/bin/env python3
"""Runs a command that must fail cleanly: non-zero exit status (not a signal), nothing on
stdout, and exactly one line on stderr, starting "slimtune: error: ". Prints that line for
FileCheck; exits 1 (with the reason) when any of this does not hold.

  one_error.py COMMAND ARGS...
"""
import subprocess
import sys

result = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        errors="replace", timeout=120)
lines = result.stderr.splitlines()
problems = []
if result.returncode <= 0:
    problems.append(f"exit status {result.returncode}, expected a failure status")
if result.stdout:
    problems.append(f"wrote to stdout: {result.stdout[:200]!r}")
if len(lines) != 1:
    problems.append(f"{len(lines)} lines on stderr, expected 1: {result.stderr[:1000]!r}")
elif not lines[0].startswith("slimtune: error: "):
    problems.append(f"stderr line does not start 'slimtune: error: ': {lines[0]!r}")
if problems:
    print("one_error.py: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(lines[0])
