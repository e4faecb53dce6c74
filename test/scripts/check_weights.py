#!/usr/bin/env python3
"""Checks the weights slimtune reads (slimtune-dump-weights output: fp32, Hugging Face layout)
against reference readers: gguf-py's dequantizer for GGUF files, numpy over the raw bytes for
safetensors. GGUF llama q/k rows are put back in Hugging Face order here independently
(the inverse of llama.cpp's convert permute). Every value must agree to float32 rounding.

  check_weights.py MODEL DUMP.safetensors
"""
import json
import os
import struct
import sys

import numpy as np
from safetensors.numpy import load_file

TOLERANCE = 1e-6  # relative to the tensor's largest magnitude: float32 rounding only


def safetensors_reference(folder):
    path = os.path.join(folder, "model.safetensors")
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        begin, end = spec["data_offsets"]
        raw = data[begin:end]
        if spec["dtype"] == "BF16":
            values = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            values = np.frombuffer(raw, {"F32": "<f4", "F16": "<f2"}[spec["dtype"]]).astype(np.float32)
        tensors[name] = values.reshape(spec["shape"])
    return tensors


def gguf_reference(path):
    import gguf
    reader = gguf.GGUFReader(path)
    fields = {k: f.contents() for k, f in reader.fields.items() if not k.startswith("tokenizer.")}
    arch = fields.get("general.architecture")
    tensors = {}
    for t in reader.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        shape = [int(d) for d in reversed(t.shape)]
        values = values.reshape(shape)
        if arch == "llama" and (".attn_q." in t.name or ".attn_k." in t.name):
            heads = fields["llama.attention.head_count"]
            if ".attn_k." in t.name:
                heads = fields.get("llama.attention.head_count_kv", heads)
            rows = shape[0]
            rest = shape[1:]
            values = (values.reshape([heads, rows // heads // 2, 2] + rest)
                      .swapaxes(1, 2).reshape(shape))
        tensors[t.name] = values
    return tensors


def main():
    model, dump = sys.argv[1], sys.argv[2]
    reference = safetensors_reference(model) if os.path.isdir(model) else gguf_reference(model)
    ours = load_file(dump)
    worst = 0.0
    for name, values in ours.items():
        ref = reference[name]
        if ref.shape != values.shape:
            print(f"{name}: shape {values.shape} but the reference has {ref.shape}")
            return 1
        scale = max(float(np.abs(ref).max()), 1e-30)
        diff = float(np.abs(ref - values).max()) / scale
        worst = max(worst, diff)
        if diff > TOLERANCE:
            print(f"{name}: differs from the reference by {diff:.3g} of its largest value")
            return 1
    print(f"all {len(ours)} tensors match the reference (largest relative difference {worst:.2g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
