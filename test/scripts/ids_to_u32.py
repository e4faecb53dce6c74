#!/usr/bin/env python3
"""Turns token ids printed as text (slimtune-tokenize's output) into a token file of raw
little-endian uint32 ids, the form `slimtune train --tokens` and the C trainer read.

  slimtune-tokenize MODEL TEXT | ids_to_u32.py OUT.u32
"""
import struct
import sys

ids = [int(token) for token in sys.stdin.read().split()]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack(f"<{len(ids)}I", *ids))
print(f"{len(ids)} tokens")
