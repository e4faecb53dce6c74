#!/usr/bin/env python3
"""Runs a command with its stdout on a pseudo-terminal (as if a user watched it), stderr
passed through; writes what the terminal was sent to OUT and exits with the command's
status. So that FileCheck can read it, a carriage return that redraws a line starts a new
line marked "[CR]", and the erase-to-end-of-line sequence is written "[EL]".

  run_in_terminal.py OUT COMMAND ARGS...
"""
import os
import pty
import subprocess
import sys

out_path, command = sys.argv[1], sys.argv[2:]
controller, terminal = pty.openpty()
process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=terminal, stderr=None)
os.close(terminal)
shown = bytearray()
while True:
    try:
        chunk = os.read(controller, 65536)
    except OSError:  # EIO: the terminal closed
        break
    if not chunk:
        break
    shown += chunk
os.close(controller)
with open(out_path, "wb") as f:
    f.write(bytes(shown).replace(b"\r\n", b"\n").replace(b"\r", b"\n[CR]").replace(b"\x1b[K", b"[EL]"))
sys.exit(process.wait(timeout=600))
