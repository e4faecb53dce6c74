#!/usr/bin/env python3
"""Checks `slimtune inspect` against reference readers: every tensor in the file appears with
its dtype, shape and byte count, the byte total equals the file's data section, and the
parameter count equals the elements of the model's weights.

  check_inspect.py MODEL INSPECT_OUTPUT
"""
import json
import os
import re
import struct
import sys

SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4, "I64": 8, "U8": 1}
BUFFERS = (".attn.bias", ".attn.masked_bias")  # GPT-2's causal-mask buffers: not weights


def reference(model):
    """(tensors {name: (dtype, shape, bytes)}, data section bytes, weight elements)."""
    if os.path.isdir(model):
        path = os.path.join(model, "model.safetensors")
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
        data = os.path.getsize(path) - 8 - n
        tensors = {k: (v["dtype"], v["shape"], v["data_offsets"][1] - v["data_offsets"][0])
                   for k, v in header.items() if k != "__metadata__"}
    else:
        import gguf
        reader = gguf.GGUFReader(model)
        tensors = {t.name: (t.tensor_type.name, [int(d) for d in reversed(t.shape)], int(t.n_bytes))
                   for t in reader.tensors}
        data = sum(b for _, _, b in tensors.values())
    elements = 0
    for name, (_, shape, _) in tensors.items():
        if not name.endswith(BUFFERS):
            count = 1
            for d in shape:
                count *= d
            elements += count
    return tensors, data, elements


def main():
    model, output = sys.argv[1], open(sys.argv[2]).read()
    tensors, data, elements = reference(model)
    rows = {}
    section = output.split("tensors in the file")[1].split("adapter tensors")[0]
    for line in section.splitlines()[2:]:
        m = re.match(r"(\S+)\s+(\S+)\s+(\[[^\]]*\])\s+(\d+)$", line)
        if m:
            rows[m.group(1)] = (m.group(2), json.loads(m.group(3)), int(m.group(4)))
    total = int(re.search(r"^total\s+(\d+)$", section, re.M).group(1))
    parameters = int(re.search(r"^parameters: (\d+)", output, re.M).group(1))
    problems = []
    if rows != tensors:
        missing = set(tensors) ^ set(rows)
        wrong = [n for n in set(tensors) & set(rows) if tensors[n] != rows[n]]
        problems.append(f"table differs: {sorted(missing)[:5]} missing/extra, {wrong[:5]} wrong")
    if total != data:
        problems.append(f"total {total} bytes, the file's data section has {data}")
    if parameters != elements:
        problems.append(f"{parameters} parameters, the weights hold {elements} elements")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"{len(rows)} tensors, {total} bytes and {parameters} parameters match the file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
