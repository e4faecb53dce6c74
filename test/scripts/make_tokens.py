#!/usr/bin/env python3
"""Writes a token file (raw little-endian uint32): COUNT ids of a repeating pattern
(i * STRIDE mod VOCAB), learnable by a tiny model in a few dozen steps. --put ID@POS
overwrites position POS with ID (repeatable), e.g. to plant one token whose embedding a test
has poisoned. --skip ID keeps ID out of the pattern (it becomes ID+1 mod VOCAB).

  make_tokens.py OUT.u32 COUNT VOCAB [STRIDE] [--skip ID] [--put ID@POS ...]
"""
import argparse
import struct

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("count", type=int)
parser.add_argument("vocab", type=int)
parser.add_argument("stride", type=int, nargs="?", default=7)
parser.add_argument("--skip", type=int)
parser.add_argument("--put", action="append", default=[])
args = parser.parse_args()
ids = [(i * args.stride) % args.vocab for i in range(args.count)]
if args.skip is not None:
    ids = [(t + 1) % args.vocab if t == args.skip else t for t in ids]
for put in args.put:
    token, position = (int(x) for x in put.split("@"))
    ids[position] = token
with open(args.out, "wb") as f:
    f.write(struct.pack(f"<{len(ids)}I", *ids))
