#!/usr/bin/env python3
"""Checks that two compiled forward graphs give the same loss: slimtune-check-step outputs of
one model, batch and adapters (bound from the same seeds: checked bit for bit), e.g. compiled
without and with slim-merge-adapters. A third output, of the model without adapters, shows
that the adapters move the loss by much more than the tolerance, so the comparison can fail.
Plain Python (no numpy): runs under lit's own interpreter.

  compare_losses.py REFERENCE.safetensors OTHER.safetensors BASE.safetensors TOLERANCE
"""
import json
import struct
import sys


def read_tensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    return {name: data[spec["data_offsets"][0]:spec["data_offsets"][1]]
            for name, spec in header.items() if name != "__metadata__"}


def loss(tensors, path):
    if "loss" not in tensors:
        sys.exit(f"{path}: no loss output")
    return struct.unpack("<f", tensors["loss"])[0]


reference_path, other_path, base_path, tolerance = sys.argv[1:5]
reference, other, base = (read_tensors(p) for p in (reference_path, other_path, base_path))
adapters = sorted(name for name in reference if ".lora_" in name)
problems = [f"{name} differs between the two runs" for name in adapters
            if other.get(name) != reference[name]]
if not adapters:
    problems.append(f"{reference_path} holds no adapter")
want, got, without = loss(reference, reference_path), loss(other, other_path), loss(base, base_path)
difference = abs(got - want) / abs(want)
effect = abs(want - without) / abs(want)
if difference > float(tolerance):
    problems.append(f"loss {got!r} against {want!r}: relative difference {difference:.2e} > {tolerance}")
if effect < 100 * float(tolerance):
    problems.append(f"the adapters move the loss by only {effect:.2e} (relative): the comparison "
                    "could not fail")
if problems:
    print("; ".join(problems))
    sys.exit(1)
print(f"losses match (relative difference {difference:.1e}, {len(adapters)} adapter tensors); "
      f"the adapters move the loss by {effect:.1e}")
