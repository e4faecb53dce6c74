#!/usr/bin/env python3
"""Writes a LLaMA-family Hugging Face folder (config.json + model.safetensors, F32) of any
size, with small deterministic weights, using only the standard library: models whose shape
is the point of a test (a vocabulary so large that the step's plan passes 4 GiB; settings a
hostile-input case breaks).

  make_model.py OUT [--vocab V] [--hidden C] [--layers L] [--heads H] [--kv-heads K]
                    [--ffn F] [--tied] [--set KEY=JSON ...]

--set overrides a config.json key after the shapes are written (e.g. --set rms_norm_eps=0),
so the weights still match the shapes and only the overridden setting is wrong.
"""
import argparse
import array
import json
import os
import random
import struct

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--vocab", type=int, default=96)
parser.add_argument("--hidden", type=int, default=32)
parser.add_argument("--layers", type=int, default=1)
parser.add_argument("--heads", type=int, default=4)
parser.add_argument("--kv-heads", type=int, default=2)
parser.add_argument("--ffn", type=int, default=64)
parser.add_argument("--tied", action="store_true")
parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON")
args = parser.parse_args()

C, F, V = args.hidden, args.ffn, args.vocab
D = C // args.heads
config = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
    "vocab_size": V, "hidden_size": C, "intermediate_size": F,
    "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
    "num_key_value_heads": args.kv_heads, "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": args.tied,
}
shapes = {"model.embed_tokens.weight": [V, C], "model.norm.weight": [C]}
for i in range(args.layers):
    p = f"model.layers.{i}."
    shapes.update({
        p + "input_layernorm.weight": [C], p + "post_attention_layernorm.weight": [C],
        p + "self_attn.q_proj.weight": [args.heads * D, C],
        p + "self_attn.k_proj.weight": [args.kv_heads * D, C],
        p + "self_attn.v_proj.weight": [args.kv_heads * D, C],
        p + "self_attn.o_proj.weight": [C, args.heads * D],
        p + "mlp.gate_proj.weight": [F, C], p + "mlp.up_proj.weight": [F, C],
        p + "mlp.down_proj.weight": [C, F],
    })
if not args.tied:
    shapes["lm_head.weight"] = [V, C]
for item in args.set:
    key, value = item.split("=", 1)
    config[key] = json.loads(value)

# One block of random values, tiled: the weights only need to be small and not all equal.
rng = random.Random(1234)
block = array.array("f", (rng.uniform(-0.1, 0.1) for _ in range(4099))).tobytes()
header, offset, blobs = {}, 0, []
for name, shape in shapes.items():
    count = 1
    for d in shape:
        count *= d
    if name.endswith("norm.weight"):
        data = struct.pack("<f", 1.0) * count
    else:
        data = (block * (4 * count // len(block) + 1))[: 4 * count]
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
with open(os.path.join(args.out, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for data in blobs:
        f.write(data)
