#!/usr/bin/env python3
"""Checks `slimtune export` against the float64 numpy reference (reference_model.py):

  check_export.py BASE_FOLDER CHECKPOINT PEFT_FOLDER MERGED_FOLDER TOKENS.u32

- the PEFT folder holds the checkpoint's adapter tensors unchanged, named and shaped as PEFT
  saves them (base_model.model.<module>.lora_A.weight [r, in], .lora_B.weight [out, r]), and an
  adapter_config.json with the keys PEFT needs;
- the merged model without an adapter gives the loss of the base model with the PEFT adapter,
  within 1e-5 relative (the merge is fp32 arithmetic, the reference fp64), and it differs from
  the base model's loss (so the adapter is not zero and the check can fail).
"""
import json
import os
import re
import struct
import sys

import numpy as np
from safetensors.numpy import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import Model  # noqa: E402

TOLERANCE = 1e-5


def fail(message):
    print(f"check_export: {message}")
    sys.exit(1)


def main():
    base, checkpoint, peft, merged, tokens_path = sys.argv[1:6]
    with open(os.path.join(peft, "adapter_config.json")) as f:
        config = json.load(f)
    for key, value in (("peft_type", "LORA"), ("task_type", "CAUSAL_LM")):
        if config.get(key) != value:
            fail(f"adapter_config.json: {key} is {config.get(key)!r}, expected {value!r}")
    for key in ("r", "lora_alpha", "target_modules", "base_model_name_or_path"):
        if key not in config:
            fail(f"adapter_config.json lacks {key}")

    exported = load_file(os.path.join(peft, "adapter_model.safetensors"))
    trained = load_file(os.path.join(checkpoint, "adapter_model.safetensors"))
    if sorted(exported) != sorted(trained):
        fail("the PEFT file and the checkpoint hold different tensors")
    base_model = Model(base, os.path.join(peft, "adapter_config.json"))
    pattern = re.compile(r"^base_model\.model\.(.+)\.lora_([AB])\.weight$")
    for name, value in exported.items():
        if not np.array_equal(value, trained[name]):
            fail(f"{name} differs from the checkpoint's")
        match = pattern.match(name)
        if not match or value.dtype != np.float32 or value.ndim != 2:
            fail(f"{name}: not a PEFT LoRA tensor ({value.dtype}, {value.shape})")
        module, which = match.groups()
        other = exported[f"base_model.model.{module}.lora_{'B' if which == 'A' else 'A'}.weight"]
        rank = value.shape[0] if which == "A" else value.shape[1]
        if (other.shape[1] if which == "A" else other.shape[0]) != rank:
            fail(f"{name}: shape {value.shape} does not pair with {other.shape}")
        pair = list(base_model.adapters.get(module, (None, None)))
        pair[0 if which == "A" else 1] = value.astype(np.float64)
        base_model.adapters[module] = tuple(pair)
    base_model.dropout = 0.0

    with open(tokens_path, "rb") as f:
        ids = np.frombuffer(f.read(), "<u4").astype(np.int64)
    inputs, targets = ids[:32].reshape(2, 16), ids[1:33].reshape(2, 16)
    with_adapter = base_model.loss(inputs, targets)
    plain = Model(base, os.path.join(peft, "adapter_config.json"))
    base_loss = plain.loss(inputs, targets)
    merged_model = Model(merged, os.path.join(peft, "adapter_config.json"))
    merged_loss = merged_model.loss(inputs, targets)
    difference = abs(merged_loss - with_adapter) / abs(with_adapter)
    if difference > TOLERANCE:
        fail(f"merged loss {merged_loss} differs from base + adapter {with_adapter} by {difference:.3g}")
    if abs(base_loss - with_adapter) / abs(with_adapter) < 100 * TOLERANCE:
        fail(f"the adapter barely changes the loss ({base_loss} vs {with_adapter}): train longer")
    print(f"{len(exported)} PEFT tensors match the checkpoint; merged loss {merged_loss:.6f} = "
          f"base + adapter {with_adapter:.6f} (relative difference {difference:.2g}; base alone "
          f"{base_loss:.6f})")


if __name__ == "__main__":
    main()
