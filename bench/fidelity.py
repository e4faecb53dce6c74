#!/usr/bin/env python3
"""The fidelity protocol: how much validation loss each pipeline gives up against `baseline`,
measured the way a user would see it — whole fine-tuning runs on real text, not per-step
gradient cosines.

For every corpus, run length and seed, each pipeline trains the same job (SmolLM2-135M-Instruct
unless --model, LoRA r=16 alpha 32 on every linear layer without dropout, batch 4 x seq 128,
lr 1e-3 with a cosine schedule over the run and 10 warmup steps, 5% of the documents held out
and evaluated whole at the end). Runs of one seed are paired: the same adapter initialisation
and data order, so their difference is the pipeline's alone. Reported per corpus, length and
pipeline: the validation loss relative to baseline's, (val - val_baseline) / val_baseline, as
mean, sample standard deviation, minimum and maximum over the seeds. Each length is a run of
its own (the cosine schedule depends on it), not a point on a longer run.

Corpora come from Debian packages' documentation (scripts/fetch_corpora.sh): fortunes
(quotations), debian-faq, gnu-standards; or NAME=PATH for any text with "%" document lines.
A full run (3 pipelines x 3 seeds x 3 corpora x 100 + 300 steps) takes hours on two cores: it
is a benchmark, run by hand (not in the test command); results go to --out as JSON and a table.

A candidate policy is compared as a variant: --variant NAME=PASSES runs the passes before the
optimizer as given (e.g. "slim-share-norm-stash,slim-autodiff,slim-compress-stashes{group=8}"),
then slim-optimizer with the protocol's settings and slim-plan-memory; NAME joins the pipelines.

Usage: bench/fidelity.py [--pipelines baseline,exact,lean] [--variant NAME=PASSES]... [--seeds 3,4,5]
         [--corpora fortunes,debian-faq,gnu-standards] [--steps 100,300] [--batch 4] [--seq 128]
         [--lr 1e-3] [--warmup 10] [--model PATH] [--slimtune build/bin/slimtune] [--out DIR]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADAPTER = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 16, "lora_alpha": 32,
           "lora_dropout": 0.0, "target_modules": "all-linear", "bias": "none"}


def fail(message):
    print(f"fidelity: error: {message}", file=sys.stderr)
    sys.exit(1)


def corpora(spec):
    """NAME -> path: NAME=PATH as given, other names fetched by scripts/fetch_corpora.sh."""
    paths, fetch = {}, []
    for item in spec.split(","):
        name, _, path = item.partition("=")
        if path:
            paths[name] = path
        else:
            fetch.append(name)
    if fetch:
        out = subprocess.run([os.path.join(ROOT, "scripts", "fetch_corpora.sh")] + fetch,
                             capture_output=True, text=True)
        if out.returncode != 0:
            fail(out.stderr.strip() or "scripts/fetch_corpora.sh failed")
        for line in out.stdout.splitlines():
            name, path = line.split(" ", 1)
            paths[name] = path
    return paths


def final_val_loss(log_path):
    """The last validation loss a `train --log` file records."""
    val = None
    with open(log_path) as f:
        for line in f:
            record = json.loads(line)
            if "val_loss" in record:
                val = record["val_loss"]
    return val


def train(args, model, name, corpus, pipeline, seed, steps, work):
    """Validation loss of one run, reusing its log when an earlier invocation finished it."""
    run = os.path.join(work, f"{name}-{pipeline}-seed{seed}-steps{steps}")
    log = run + ".jsonl"
    if os.path.exists(log) and os.path.exists(run + ".done"):
        return final_val_loss(log)
    command = [args.slimtune, "train", "--model", model, "--adapter", os.path.join(work, "adapter_config.json"),
               "--data", corpus, "--doc-separator", "%", "--val-fraction", "0.05", "--eval-batches", "0",
               "--seed", str(seed), "--steps", str(steps), "--batch", str(args.batch), "--seq", str(args.seq),
               "--log", log]
    warmup = min(args.warmup, steps - 1)
    if pipeline in args.variants:
        optimizer = f"slim-optimizer{{lr={args.lr} schedule=cosine warmup-steps={warmup} total-steps={steps}}}"
        command += ["--pass-pipeline",
                    f"builtin.module(func.func({args.variants[pipeline]},{optimizer},slim-plan-memory))"]
    else:
        command += ["--lr", str(args.lr), "--schedule", "cosine", "--warmup-steps", str(warmup),
                    "--pipeline", pipeline]
    if os.path.exists(log):
        os.remove(log)
    # OpenBLAS at full speed (the machines' Haswell setting halves it).
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    with open(run + ".out", "w") as out:
        if subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env).returncode != 0:
            fail(f"{' '.join(command)} failed (its output: {run}.out)")
    open(run + ".done", "w").close()
    return final_val_loss(log)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipelines", default="baseline,exact,lean")
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME=PASSES: the passes before the optimizer, as a pipeline of its own")
    parser.add_argument("--seeds", default="3,4,5")
    parser.add_argument("--corpora", default="fortunes,debian-faq,gnu-standards")
    parser.add_argument("--steps", default="100,300")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--model", default="")
    parser.add_argument("--slimtune", default=os.path.join(ROOT, "build", "bin", "slimtune"))
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "fidelity"))
    args = parser.parse_args()
    args.variants = {}
    for item in args.variant:
        name, _, passes = item.partition("=")
        if not name or not passes:
            fail(f"--variant takes NAME=PASSES, got '{item}'")
        args.variants[name] = passes
    pipelines = args.pipelines.split(",") + [n for n in args.variants if n not in args.pipelines.split(",")]
    if pipelines[0] != "baseline":
        pipelines = ["baseline"] + [p for p in pipelines if p != "baseline"]
    seeds = [int(s) for s in args.seeds.split(",")]
    lengths = [int(s) for s in args.steps.split(",")]
    model = args.model
    if not model:
        fetched = subprocess.run([os.path.join(ROOT, "scripts", "fetch_smollm2.sh")], capture_output=True, text=True)
        if fetched.returncode != 0:
            fail(fetched.stderr.strip() or "scripts/fetch_smollm2.sh failed")
        model = fetched.stdout.strip()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "adapter_config.json"), "w") as f:
        json.dump(ADAPTER, f)
    texts = corpora(args.corpora)

    results = {"settings": vars(args) | {"model": model}, "runs": [], "summary": []}
    for name, corpus in texts.items():
        for steps in lengths:
            val = {}
            for seed in seeds:
                for pipeline in pipelines:
                    loss = train(args, model, name, corpus, pipeline, seed, steps, args.out)
                    if loss is None:
                        fail(f"{name}: the run held out no documents to validate on (too few '%' records)")
                    val[(pipeline, seed)] = loss
                    results["runs"].append({"corpus": name, "steps": steps, "seed": seed,
                                            "pipeline": pipeline, "val_loss": loss})
                    print(f"{name} {steps} steps seed {seed} {pipeline}: val loss {loss:.6f}", flush=True)
            for pipeline in pipelines[1:]:
                rel = [(val[(pipeline, s)] - val[("baseline", s)]) / val[("baseline", s)] for s in seeds]
                results["summary"].append({
                    "corpus": name, "steps": steps, "pipeline": pipeline,
                    "baseline_mean": statistics.mean(val[("baseline", s)] for s in seeds),
                    "mean": statistics.mean(rel), "stdev": statistics.stdev(rel) if len(rel) > 1 else 0.0,
                    "min": min(rel), "max": max(rel), "seeds": len(rel)})
    with open(os.path.join(args.out, "fidelity.json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = [f"validation loss against baseline, paired by seed ({len(seeds)} seeds; mean ± sd [min, max])",
             f"| corpus | steps | baseline val | " + " | ".join(pipelines[1:]) + " |",
             "|---|---:|---:|" + "---:|" * (len(pipelines) - 1)]
    for name in texts:
        for steps in lengths:
            rows = [r for r in results["summary"] if r["corpus"] == name and r["steps"] == steps]
            cells = [f"{r['mean'] * 100:+.2f}% ± {r['stdev'] * 100:.2f} [{r['min'] * 100:+.2f}, {r['max'] * 100:+.2f}]"
                     for r in rows]
            lines.append(f"| {name} | {steps} | {rows[0]['baseline_mean']:.4f} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    with open(os.path.join(args.out, "fidelity.md"), "w") as f:
        f.write(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
