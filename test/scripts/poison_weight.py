#!/usr/bin/env python3
"""Copies a model folder and sets element 0 of one tensor (F32, F16 or BF16) to NaN:
a model whose loss is not finite, for testing that training stops cleanly.

  poison_weight.py SOURCE_FOLDER TARGET_FOLDER TENSOR
"""
import json
import os
import shutil
import struct
import sys

source, target, tensor = sys.argv[1:4]
shutil.copytree(source, target, dirs_exist_ok=True)
path = os.path.join(target, "model.safetensors")
with open(path, "r+b") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
    spec = header[tensor]
    nan = {"F32": struct.pack("<f", float("nan")), "F16": struct.pack("<H", 0x7E00),
           "BF16": struct.pack("<H", 0x7FC0)}[spec["dtype"]]
    f.seek(8 + n + spec["data_offsets"][0])
    f.write(nan)
