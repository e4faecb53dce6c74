"""Reads the reconstruction errors slim-autodiff{measure-reconstruction=true} returns
(slimtune-check-step's output): for each value a reversible segment rebuilt, in the order the
backward rebuilt them (top layer first), ||rebuilt - kept|| / ||kept||. Prints how many values
were rebuilt, the largest relative error and every one of them; exit 1 when none was rebuilt or
the largest exceeds MAX.

Usage: check_reconstruction.py OUT.safetensors MAX
Standard library only.
"""
import array
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    values = {}
    for name, info in header.items():
        if name.startswith("reconstruction.") and info["dtype"] == "F32":
            begin, end = info["data_offsets"]
            scalar = array.array("f")
            scalar.frombytes(data[8 + size + begin:8 + size + end])
            values[name] = scalar[0]
    return values


values = read(sys.argv[1])
limit = float(sys.argv[2])
errors = []
while f"reconstruction.{len(errors)}.error" in values:
    i = len(errors)
    norm = values[f"reconstruction.{i}.norm"]
    errors.append(values[f"reconstruction.{i}.error"] / norm if norm > 0 else float("inf"))
if not errors:
    print("no value was rebuilt")
    sys.exit(1)
print(f"{len(errors)} values rebuilt; largest relative error {max(errors):.1e}")
print("relative errors: " + " ".join(f"{e:.1e}" for e in errors))
if not max(errors) <= limit:
    print(f"a rebuilt value is off by more than {limit:g} of its norm")
    sys.exit(1)
