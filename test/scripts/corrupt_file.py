#!/usr/bin/env python3
"""Damages a file the way disks and interrupted copies do.

  corrupt_file.py flip FILE OFFSET       invert the byte at OFFSET
  corrupt_file.py truncate FILE SIZE     cut the file to SIZE bytes
"""
import os
import sys

how, path, where = sys.argv[1], sys.argv[2], int(sys.argv[3])
if how == "flip":
    with open(path, "r+b") as f:
        f.seek(where)
        byte = f.read(1)
        f.seek(where)
        f.write(bytes([byte[0] ^ 0xFF]))
elif how == "truncate":
    os.truncate(path, where)
else:
    sys.exit(f"unknown damage {how!r}")
