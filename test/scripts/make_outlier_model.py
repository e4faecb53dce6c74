#!/usr/bin/env python3
"""Copies a Hugging Face model folder (config.json, model.safetensors with F32 tensors) and
gives it an outlier channel: output row CHANNEL of every q_proj and k_proj weight (and of
its RoPE partner, CHANNEL + head_dim / 2, which rotates with it) multiplied by FACTOR, so the
attention's queries and keys carry one channel pair far larger than the others — the kind of
channel that shares a quantization group with small ones.

Usage: make_outlier_model.py SRC_FOLDER DST_FOLDER [CHANNEL] [FACTOR]
"""
import array
import json
import os
import shutil
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    channel = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    factor = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
    os.makedirs(dst, exist_ok=True)
    shutil.copy(os.path.join(src, "config.json"), dst)
    config = json.load(open(os.path.join(src, "config.json")))
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    data = open(os.path.join(src, "model.safetensors"), "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = bytearray(data[8 + length:])
    for name, info in header.items():
        if name == "__metadata__" or not name.endswith(("q_proj.weight", "k_proj.weight")):
            continue
        assert info["dtype"] == "F32", name
        rows, cols = info["shape"]
        begin, end = info["data_offsets"]
        values = array.array("f", bytes(body[begin:end]))
        for row in (channel, channel + head_dim // 2):
            for c in range(cols):
                values[row * cols + c] *= factor
        body[begin:end] = values.tobytes()
    with open(os.path.join(dst, "model.safetensors"), "wb") as f:
        f.write(data[:8 + length])
        f.write(body)


if __name__ == "__main__":
    main()
