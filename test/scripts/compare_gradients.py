"""Compares the gradients of two runs of slimtune-check-step (same model, adapters and batch):
an approximate step against the exact baseline. Prints the loss of both, the cosine
similarity of all gradients together and the lowest per-tensor one, and the relative norm
of the difference; exit 1 when the overall cosine is below MIN_OVERALL, a tensor's below
MIN_TENSOR, or the losses differ (the forward is exact in every technique compared here, so
the loss must be the same bit for bit).

With MAX_DIFFERENCE (for exact techniques), also exit 1 when some tensor's
|other - baseline| / |baseline| exceeds it; the losses may then differ by as much, relative
(a technique that reorders the forward's sums rounds differently).

Usage: compare_gradients.py BASELINE.safetensors OTHER.safetensors MIN_OVERALL MIN_TENSOR
                            [MAX_DIFFERENCE]
Standard library only (the safetensors layout is simple: u64 header size, JSON, raw data).
"""
import array
import json
import math
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        begin, end = info["data_offsets"]
        values = array.array("f")
        values.frombytes(data[8 + size + begin:8 + size + end])
        tensors[name] = values
    return tensors


base, other = read(sys.argv[1]), read(sys.argv[2])
min_overall, min_tensor = float(sys.argv[3]), float(sys.argv[4])
max_difference = float(sys.argv[5]) if len(sys.argv) > 5 else None
grads = sorted(n for n in base if n.endswith(".grad"))
if not grads or any(n not in other for n in grads):
    print("the runs do not have the same gradients")
    sys.exit(1)
dot = bb = oo = dd = 0.0
worst, worst_name = 1.0, ""
largest, largest_name = 0.0, ""
for name in grads:
    b, o = base[name], other[name]
    d = sum(x * y for x, y in zip(b, o))
    nb, no = sum(x * x for x in b), sum(y * y for y in o)
    cosine = d / math.sqrt(nb * no) if nb > 0 and no > 0 else (1.0 if nb == no else 0.0)
    if cosine < worst:
        worst, worst_name = cosine, name
    dot, bb, oo = dot + d, bb + nb, oo + no
    difference = sum((x - y) ** 2 for x, y in zip(b, o))
    dd += difference
    relative = math.sqrt(difference / nb) if nb > 0 else (0.0 if difference == 0 else math.inf)
    if relative > largest:
        largest, largest_name = relative, name
overall = dot / math.sqrt(bb * oo)
loss_b, loss_o = base["loss"][0], other["loss"][0]
print(f"loss {loss_b:.6f} vs {loss_o:.6f}; {len(grads)} gradients: cosine {overall:.5f} overall, "
      f"lowest {worst:.5f} ({worst_name}); |difference| / |baseline| {math.sqrt(dd / bb):.4f}")
if max_difference is not None:
    print(f"largest |difference| / |baseline| of a tensor: {largest:.2e} ({largest_name})")
problems = []
# An exact technique that reorders the forward's sums (slim-lora-order's merged weights) moves
# the loss by rounding only: within MAX_DIFFERENCE, relative. Otherwise bit for bit.
loss_tolerance = 0.0 if max_difference is None else max_difference * abs(loss_b)
if abs(loss_b - loss_o) > loss_tolerance or math.isnan(loss_o) != math.isnan(loss_b):
    problems.append("the losses differ: the forward must stay exact")
if overall < min_overall:
    problems.append(f"overall cosine below {min_overall}")
if worst < min_tensor:
    problems.append(f"a tensor's cosine below {min_tensor}")
if max_difference is not None and largest > max_difference:
    problems.append(f"a tensor differs by more than {max_difference:g} of its norm")
if problems:
    print("; ".join(problems))
    sys.exit(1)
