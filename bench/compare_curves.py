#!/usr/bin/env python3
"""Compares two loss curves of the same run on two devices (slimtune-run-steps JSON files):
the same compiled step, weights, adapter initialization and data, once per target.

Both compute in fp32 but sum in different orders (the GPU's reductions are tiled), so the
curves are not bit-identical; a wrong forward kernel shows in the losses, a wrong backward
kernel in the gradient norms (each step's norm is taken before the update, so step 1's compares
the two backward passes on the same weights directly), a wrong optimizer in the losses after.
Passes when every step's loss and gradient norm agree within --tolerance relative (default
1e-3) and the loss fell over the run on both. Prints the largest gaps and the first and last
losses.

Usage: compare_curves.py REFERENCE.json OTHER.json [--tolerance R]
"""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference")
    parser.add_argument("other")
    parser.add_argument("--tolerance", type=float, default=1e-3)
    args = parser.parse_args()
    with open(args.reference) as f:
        reference = json.load(f)
    with open(args.other) as f:
        other_run = json.load(f)
    ref, other = reference["losses"], other_run["losses"]
    if len(ref) != len(other) or not ref:
        print(f"compare_curves: {len(ref)} against {len(other)} steps")
        return 1
    ok = ref[-1] < ref[0] and other[-1] < other[0]
    for name in ("losses", "grad_norms"):
        a, b = reference[name], other_run[name]
        gaps = [abs(x - y) / max(abs(x), 1e-12) for x, y in zip(a, b)]
        worst = max(range(len(gaps)), key=gaps.__getitem__)
        print(f"{name}: largest relative gap {gaps[worst]:.2e} at step {worst + 1} "
              f"({a[worst]:.6f} against {b[worst]:.6f}; tolerance {args.tolerance:g})")
        ok = ok and gaps[worst] <= args.tolerance
    print(f"steps {len(ref)}: reference {ref[0]:.6f} -> {ref[-1]:.6f}, "
          f"other {other[0]:.6f} -> {other[-1]:.6f}")
    if not ok:
        print("compare_curves: the curves differ, or a loss did not fall")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
