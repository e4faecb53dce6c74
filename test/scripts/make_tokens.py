#!/usr/bin/env python3
"""Writes a token file (raw little-endian uint32): COUNT ids of a repeating pattern
(i * STRIDE mod VOCAB), learnable by a tiny model in a few dozen steps.

  make_tokens.py OUT.u32 COUNT VOCAB [STRIDE]
"""
import struct
import sys

out, count, vocab = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stride = int(sys.argv[4]) if len(sys.argv) > 4 else 7
with open(out, "wb") as f:
    f.write(struct.pack(f"<{count}I", *[(i * stride) % vocab for i in range(count)]))
