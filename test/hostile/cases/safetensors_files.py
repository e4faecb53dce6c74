"""safetensors files: truncated, with headers that lie (length, offsets, dtypes, shapes), or
holding values no training can start from (NaN, infinity: refused when bound)."""
import json
import os
import shutil
import struct

from .common import Case, read_safetensors, safetensors_bytes, token_ids

EMBED = "model.embed_tokens.weight"


def cases(c):
    out = []
    source = c.fixture("llama-tiny-tied")
    config = os.path.join(source, "config.json")
    original = open(os.path.join(source, "model.safetensors"), "rb").read()
    header, data = read_safetensors(os.path.join(source, "model.safetensors"))

    def model(name, content):
        folder = c.path(name)
        os.makedirs(folder)
        shutil.copy(config, folder)
        path = os.path.join(folder, "model.safetensors")
        with open(path, "wb") as f:
            f.write(content)
        c.to_corpus("safetensors", name, path)
        return folder

    def inspect(name, content):
        out.append(Case(name, [c.slimtune, "inspect", "--model", model(name, content)],
                        [name + "/model.safetensors"]))

    def with_header(name, change):
        h = json.loads(json.dumps(header))
        change(h)
        inspect(name, safetensors_bytes(h, data))

    # Truncations and lying lengths.
    for size in (0, 4, 7, 8, 20, len(original) // 2, len(original) - 1):
        inspect(f"truncated-{size}", original[:size])
    inspect("length-huge", struct.pack("<Q", 2**63 - 1) + original[8:])
    inspect("length-past-end", struct.pack("<Q", len(original)) + original[8:])
    inspect("length-zero", struct.pack("<Q", 0) + original[8:])
    inspect("header-not-json", safetensors_bytes(None, data, raw_header=b"{not json"))
    inspect("header-array", safetensors_bytes(None, data, raw_header=b"[1, 2]"))
    inspect("header-bad-utf8", safetensors_bytes(None, data, raw_header=b'{"\xff": 1}'))

    # Entries that lie.
    def entry(key, value):
        return lambda h: h[EMBED].__setitem__(key, value)

    with_header("dtype-unknown", entry("dtype", "F8_E4M3"))
    with_header("dtype-number", entry("dtype", 5))
    with_header("offsets-reversed", entry("data_offsets", [12288, 0]))
    with_header("offsets-past-end", entry("data_offsets", [0, len(data) + 4096]))
    with_header("offsets-negative", entry("data_offsets", [-8, 12280]))
    with_header("offsets-strings", entry("data_offsets", ["0", "12288"]))
    with_header("offsets-one", entry("data_offsets", [0]))
    with_header("shape-size-mismatch", entry("shape", [96, 31]))
    with_header("shape-negative", entry("shape", [-96, -32]))
    with_header("shape-overflow", entry("shape", [2**40, 2**40]))
    with_header("shape-not-list", entry("shape", "96x32"))
    with_header("entry-not-object", lambda h: h.__setitem__(EMBED, [1, 2, 3]))
    with_header("metadata-not-object", lambda h: h.__setitem__("__metadata__", ["pt"]))
    with_header("tensor-missing", lambda h: h.__setitem__("renamed.weight", h.pop(EMBED)))
    with_header("tensor-wrong-shape", entry("shape", [32, 96]))
    inspect("duplicate-tensor", safetensors_bytes(None, data, raw_header=json.dumps(header).encode()[:-1] +
                                                  b', "' + EMBED.encode() + b'": ' +
                                                  json.dumps(header[EMBED]).encode() + b"}"))

    # Values no training starts from: refused, by tensor and element, when the model is bound.
    tokens = c.write("tokens.u32", token_ids(400))
    adapter = c.write("lora.json", '{"peft_type": "LORA", "r": 4, "lora_alpha": 8}')
    for name, tensor, value in [("weight-nan", EMBED, float("nan")),
                                ("weight-inf", "model.norm.weight", float("inf")),
                                ("weight-minus-inf", "model.layers.1.mlp.up_proj.weight", float("-inf"))]:
        start = header[tensor]["data_offsets"][0] + 4 * 5
        poisoned = bytearray(data)
        poisoned[start:start + 4] = struct.pack("<f", value)
        folder = model(name, safetensors_bytes(header, bytes(poisoned)))
        out.append(Case(name, [c.slimtune, "train", "--model", folder, "--adapter", adapter, "--tokens", tokens,
                               "--steps", "1", "--batch", "1", "--seq", "8"],
                        [name, f'tensor "{tensor}"', "at element 5"]))
    return out
