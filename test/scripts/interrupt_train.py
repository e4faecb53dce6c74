#!/usr/bin/env python3
"""Interrupts `slimtune train` the way a user would: starts COMMAND (a train run with --out),
waits until it has logged step AFTER, sends SIGNAL (INT or TERM), and checks that it exits
with status 130 (INT) or 143 (TERM) after saving, printing the "interrupted at step N/T;
resume with: ..." line. Prints that line and the step N for FileCheck. Exits 1 naming what
went wrong.

  interrupt_train.py INT|TERM AFTER COMMAND ARGS...
"""
import re
import signal
import subprocess
import sys

which, after, command = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
sig = {"INT": signal.SIGINT, "TERM": signal.SIGTERM}[which]
process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
lines = []
for line in process.stdout:
    lines.append(line)
    m = re.match(r"step (\d+)/(\d+)", line)
    if m and int(m.group(1)) >= after:
        process.send_signal(sig)
        break
rest, errors = process.communicate(timeout=300)
lines += rest.splitlines(keepends=True)
status = process.returncode
expected = 130 if which == "INT" else 143
stopped = [l for l in lines if l.startswith("interrupted at step")]
if status != expected or not stopped or errors.strip():
    sys.exit(f"exit status {status} (expected {expected}); stderr {errors!r}; last lines {lines[-3:]!r}")
step = re.match(r"interrupted at step (\d+)/", stopped[0]).group(1)
last = [l for l in lines if l.startswith("step ")][-1]
if not last.startswith(f"step {step}/"):
    sys.exit(f"the last logged step is {last!r}, but the run says it stopped at step {step}")
print(stopped[0].rstrip())
print(f"stopped at step {step}")
