#!/usr/bin/env python3
"""Loads slimtune's exports with the libraries users load them with (transformers + peft,
PyTorch on the CPU, float32) and checks:

- PeftModel.from_pretrained(base, PEFT_FOLDER) finds every exported tensor a home: each
  LoRA weight in the loaded model equals the file's tensor, and no adapter weight of the
  model was left at its initial value;
- the merged folder loads with AutoModelForCausalLM.from_pretrained, and its loss on a batch
  equals the PEFT model's within 1e-5 relative, while the base model's differs (so the
  adapter is not zero and the comparison can fail);
- PEFT's own merge_and_unload() gives the merged folder's weights within 1e-5 absolute.

  check_peft_load.py BASE_FOLDER PEFT_FOLDER MERGED_FOLDER TOKENS.u32
"""
import os
import sys
import warnings

import numpy as np
import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

TOLERANCE = 1e-5
warnings.filterwarnings("ignore")


def fail(message):
    print(f"check_peft_load: {message}")
    sys.exit(1)


def loss_of(model, inputs):
    with torch.no_grad():
        return float(model(input_ids=inputs, labels=inputs).loss)


def main():
    base_path, peft_path, merged_path, tokens_path = sys.argv[1:5]
    torch.manual_seed(0)
    with open(tokens_path, "rb") as f:
        ids = np.frombuffer(f.read(), "<u4").astype(np.int64)
    inputs = torch.from_numpy(ids[:64].reshape(2, 32).copy())

    base = AutoModelForCausalLM.from_pretrained(base_path)
    base_loss = loss_of(base, inputs)
    model = PeftModel.from_pretrained(base, peft_path)
    model.eval()
    exported = load_file(os.path.join(peft_path, "adapter_model.safetensors"))
    state = model.state_dict()
    for name, value in exported.items():
        # PEFT keeps the adapter's name ("default") inside the module path.
        loaded_name = name.replace(".lora_A.weight", ".lora_A.default.weight").replace(
            ".lora_B.weight", ".lora_B.default.weight")
        if loaded_name not in state:
            fail(f"{name}: PEFT has no such weight ({loaded_name})")
        if not torch.equal(state[loaded_name], value):
            fail(f"{name}: PEFT loaded different values")
    lora_weights = [k for k in state if ".lora_A.default." in k or ".lora_B.default." in k]
    if len(lora_weights) != len(exported):
        fail(f"the model has {len(lora_weights)} LoRA weights, the file {len(exported)}")
    peft_loss = loss_of(model, inputs)

    merged = AutoModelForCausalLM.from_pretrained(merged_path)
    merged_loss = loss_of(merged, inputs)
    difference = abs(merged_loss - peft_loss) / abs(peft_loss)
    if difference > TOLERANCE:
        fail(f"merged loss {merged_loss} differs from PEFT's {peft_loss} by {difference:.3g}")
    if abs(base_loss - peft_loss) / abs(peft_loss) < 100 * TOLERANCE:
        fail(f"the adapter barely changes the loss ({base_loss} vs {peft_loss})")

    unloaded = model.merge_and_unload().state_dict()
    ours = merged.state_dict()
    worst = 0.0
    for name, value in unloaded.items():
        if name not in ours:
            fail(f"PEFT's merged model has {name}; slimtune's does not")
        worst = max(worst, float((ours[name] - value).abs().max()))
    if worst > TOLERANCE:
        fail(f"slimtune's merged weights differ from PEFT's merge_and_unload by {worst:.3g}")
    print(f"PEFT loaded {len(exported)} tensors; loss with adapter {peft_loss:.6f} = merged "
          f"{merged_loss:.6f} (relative difference {difference:.2g}; base {base_loss:.6f}); "
          f"merge_and_unload within {worst:.2g}")


if __name__ == "__main__":
    main()
