"""Markdown table of the GPU benchmark: slimtune (baseline and lean pipelines) against HF
transformers + PEFT, one row per (model, batch x seq), then the issue's targets.

Reads every *.json in RESULTS_DIR:
  * HF + PEFT results written by bench/hf_peft_step.py:
      {"system": "hf+peft", "model", "batch", "seq", "median_step_seconds", "peak_bytes",
       "gpu", ...} or, when it ran out of memory, {"system": "hf+peft", "error": "out of memory"}
  * slimtune results written by slimtune-run-steps (bench/run_steps.cpp) with labels:
      {"system": "slimtune", "pipeline": "baseline"|"lean", "model", "batch", "seq",
       "median_step_seconds", "peak_bytes", "planned_bytes", "gpu", "losses", ...}
Any file with an "error" key counts as failed: shown "OOM" when the error mentions out of memory,
"ERR" otherwise; a result that is absent shows "—". When two files describe the same system,
model and shape, the one modified last wins (a note goes to stderr).

Columns: GPU name; HF+PEFT peak GiB (torch.cuda.max_memory_allocated) and median step ms; per
slimtune pipeline its peak GiB (the runtime's measured device peak), median step ms, and the
ratios peak / HF peak and step / HF step (below 1 is better for slimtune).

Targets, each checked per row (PASS / FAIL / — when either side is missing or failed):
  baseline step time <= 1.0 x HF+PEFT, baseline peak <= 0.8 x HF+PEFT, lean peak <= 0.4 x HF+PEFT.
A slimtune run that fits where HF+PEFT ran out of memory is reported, not scored.

Usage: python3 bench/gpu_table.py RESULTS_DIR    (stdlib only; always exits 0)
"""
import glob
import json
import os
import sys

GIB = 2 ** 30
DASH = "—"
PIPELINES = ("baseline", "lean")
# (label, pipeline, metric, bound)
TARGETS = (
    ("baseline step time <= 1.0x HF+PEFT", "baseline", "median_step_seconds", 1.0),
    ("baseline peak <= 0.8x HF+PEFT", "baseline", "peak_bytes", 0.8),
    ("lean peak <= 0.4x HF+PEFT", "lean", "peak_bytes", 0.4),
)


def warn(msg):
    print(f"gpu_table.py: {msg}", file=sys.stderr)


def system_key(r):
    """'hf' or the slimtune pipeline name, or None for a file this table does not know."""
    system = str(r.get("system", "")).lower()
    if system in ("hf+peft", "hf", "peft", "transformers"):
        return "hf"
    if system == "slimtune":
        return str(r.get("pipeline", "baseline"))
    return None


def load(results_dir):
    entries = {}  # (model, batch, seq) -> {system: (mtime, path, record)}
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            warn(f"skipping {path}: {e}")
            continue
        if not isinstance(r, dict):
            warn(f"skipping {path}: not a JSON object")
            continue
        sysk = system_key(r)
        if sysk is None:
            warn(f"skipping {path}: unknown system {r.get('system')!r}")
            continue
        try:
            key = (str(r.get("model", "?")), int(r["batch"]), int(r["seq"]))
        except (KeyError, TypeError, ValueError):
            warn(f"skipping {path}: no batch/seq")
            continue
        mtime = os.path.getmtime(path)
        slot = entries.setdefault(key, {})
        if sysk in slot:
            old = slot[sysk]
            keep, drop = ((mtime, path, r), old) if mtime >= old[0] else (old, (mtime, path, r))
            warn(f"{key[0]} {key[1]}x{key[2]} {sysk}: using {keep[1]}, ignoring {drop[1]}")
            slot[sysk] = keep
        else:
            slot[sysk] = (mtime, path, r)
    return {k: {s: v[2] for s, v in d.items()} for k, d in entries.items()}


def status(r):
    """'ok', 'OOM', 'ERR' or None (absent)."""
    if r is None:
        return None
    if "error" in r:
        return "OOM" if "out of memory" in str(r["error"]).lower() or "oom" in str(r["error"]).lower() else "ERR"
    if not isinstance(r.get("median_step_seconds"), (int, float)) or \
       not isinstance(r.get("peak_bytes"), (int, float)):
        return "ERR"
    return "ok"


def value(r, metric):
    return float(r[metric]) if status(r) == "ok" else None


def cell(r, metric, scale, fmt):
    s = status(r)
    if s is None:
        return DASH
    if s != "ok":
        return s
    return format(float(r[metric]) * scale, fmt)


def ratio_cell(r, hf, metric):
    a, b = value(r, metric) if r else None, value(hf, metric) if hf else None
    if a is None or b is None or b <= 0:
        return DASH
    return f"{a / b:.2f}x"


def gpu_name(slot):
    names = []
    for r in slot.values():
        g = r.get("gpu")
        if g and g not in names:
            names.append(str(g))
    return " / ".join(names) if names else DASH


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 0
    results_dir = sys.argv[1]
    if not os.path.isdir(results_dir):
        warn(f"no such directory: {results_dir}")
        return 0
    table = load(results_dir)
    if not table:
        print(f"No benchmark results in {results_dir}.")
        return 0

    header = ["model", "batch×seq", "GPU", "HF+PEFT peak GiB", "HF+PEFT step ms"]
    for p in PIPELINES:
        header += [f"{p} peak GiB", f"{p} step ms", f"{p} peak ratio", f"{p} step ratio"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i < 3 else "---:" for i in range(len(header))) + "|")
    keys = sorted(table)
    for key in keys:
        slot = table[key]
        hf = slot.get("hf")
        row = [key[0], f"{key[1]}×{key[2]}", gpu_name(slot),
               cell(hf, "peak_bytes", 1 / GIB, ".2f"),
               cell(hf, "median_step_seconds", 1e3, ".1f")]
        for p in PIPELINES:
            r = slot.get(p)
            row += [cell(r, "peak_bytes", 1 / GIB, ".2f"),
                    cell(r, "median_step_seconds", 1e3, ".1f"),
                    ratio_cell(r, hf, "peak_bytes"),
                    ratio_cell(r, hf, "median_step_seconds")]
        print("| " + " | ".join(row) + " |")
    others = sorted({p for slot in table.values() for p in slot} - {"hf", *PIPELINES})
    if others:
        warn(f"pipelines not in the table: {', '.join(others)}")

    print()
    print("Targets (per row; ratio = slimtune / HF+PEFT):")
    for label, pipeline, metric, bound in TARGETS:
        for key in keys:
            slot = table[key]
            hf, r = slot.get("hf"), slot.get(pipeline)
            a, b = (value(r, metric) if r else None), (value(hf, metric) if hf else None)
            name = f"{key[0]} {key[1]}×{key[2]}"
            if a is None or b is None or b <= 0:
                why = []
                if status(hf) != "ok":
                    why.append(f"HF+PEFT {status(hf) or 'missing'}")
                if status(r) != "ok":
                    why.append(f"{pipeline} {status(r) or 'missing'}")
                print(f"{DASH}    {label}: {name} ({', '.join(why)})")
                continue
            verdict = "PASS" if a / b <= bound else "FAIL"
            print(f"{verdict} {label}: {name} ({a / b:.2f}x)")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # it reports; never fail the caller
        warn(f"unexpected error: {e!r}")
    sys.exit(0)
