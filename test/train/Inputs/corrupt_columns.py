"""Writes a CE-LoRA kept-columns entry outside the layer's output features into a checkpoint's
optimizer state, and fixes its checksum so that only the value itself is wrong.

Usage: corrupt_columns.py CHECKPOINT_STEP_FOLDER VALUE
Standard library only."""
import hashlib
import json
import struct
import sys

folder, value = sys.argv[1], int(sys.argv[2])
path = folder + "/optimizer.safetensors"
data = bytearray(open(path, "rb").read())
(size,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + size])
name = sorted(k for k in header if k.endswith(".ce_lora_columns"))[-1]
start = 8 + size + header[name]["data_offsets"][0]
data[start:start + 4] = struct.pack("<i", value)
open(path, "wb").write(data)
sums = folder + "/checksums.sha256"
lines = []
for line in open(sums).read().splitlines():
    digest, file = line.split("  ", 1)
    if file == "optimizer.safetensors":
        digest = hashlib.sha256(bytes(data)).hexdigest()
    lines.append(f"{digest}  {file}\n")
open(sums, "w").write("".join(lines))
print(name)
