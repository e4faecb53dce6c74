#!/usr/bin/env python3
"""Copies a model folder and sets element 0 of one tensor (F32, F16 or BF16) to VALUE
(default nan; inf, -inf or any number): a model with a non-finite weight, or the same model
with one weight changed (another base model of the same shapes).

  poison_weight.py SOURCE_FOLDER TARGET_FOLDER TENSOR [VALUE]
"""
import json
import os
import shutil
import struct
import sys

source, target, tensor = sys.argv[1:4]
value = float(sys.argv[4]) if len(sys.argv) > 4 else float("nan")
shutil.copytree(source, target, dirs_exist_ok=True)
path = os.path.join(target, "model.safetensors")
with open(path, "r+b") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
    spec = header[tensor]
    f32 = struct.pack("<f", value)
    encoded = {"F32": lambda: f32, "F16": lambda: struct.pack("<e", value),
               "BF16": lambda: f32[2:]}[spec["dtype"]]()
    f.seek(8 + n + spec["data_offsets"][0])
    f.write(encoded)
