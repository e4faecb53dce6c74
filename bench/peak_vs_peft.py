"""HF transformers + PEFT on the CPU against slimtune's memory passes (scripts/bench_peak.sh).

Two subcommands:

  hf     trains SmolLM2-135M with HF transformers + PEFT on the CPU, the job slimtune trains in
         scripts/bench_peak.sh, and writes one JSON report. Needs torch, transformers, peft and
         gguf (the benchmark's own venv, made by bench_peak.sh).
  table  reads bench_peak.sh's work folder and prints one markdown table. Python 3 standard
         library only.

What `hf` measures, and how:
  * model: AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=float32) (the
    keyword is torch_dtype before transformers 4.56) and AutoTokenizer.from_pretrained(folder,
    gguf_file=name) from the same GGUF file slimtune reads: transformers dequantizes the Q4_1
    tensors to fp32, the weights slimtune's fp32 path binds. Default attention implementation,
    use_cache=False in every forward, model.train() (dropout is 0 anyway).
  * adapters: PEFT LoRA r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear"
    (every nn.Linear but the LM head), bias "none", task_type CAUSAL_LM; get_peft_model
    defaults (PEFT's own init: A Kaiming-uniform, B zero - as slimtune's, not the same draws).
  * tokenizer: transformers' GGUF converter drops SmolLM2's Digits(individual_digits=True)
    pre-tokenizer step (GGUF tokenizer.ggml.pre "smollm"), which slimtune's tokenizer keeps;
    it is put back (restore_digit_split; "tokenizer_fix" in the JSON), after which the
    tokenization of the corpus matches slimtune's token for token (checked on fortunes:
    without it, 40 more tokens in 8 documents).
  * data: the corpus cut into documents at lines that are exactly the separator ("%"), each
    document's surrounding newlines trimmed and blank ones dropped; every document tokenized
    without special tokens; then exactly slimtune's PackedDataset (runtime/src/data/
    packed_dataset.cpp, reimplemented here with its SplitMix64, FNV-1a and Fisher-Yates): the
    documents put in a random order from --seed, joined into one stream with EOS after each,
    cut into windows of seq + 1 tokens overlapping by one (inputs and next-token targets), the
    last ceil(val_fraction * windows) windows held out for validation, the others served in a
    fresh random order every epoch. With the same tokenization, step k sees the very sequences
    slimtune's step k sees; the token counts are recorded to check that.
  * optimizer: torch.optim.AdamW over the LoRA parameters, lr --lr, betas (0.9, 0.999), eps
    1e-8, weight_decay 0 (slimtune's defaults; torch's default decay is 0.01), foreach default,
    not fused; torch.nn.utils.clip_grad_norm_(..., 1.0) before each step. Learning rate: a
    LambdaLR with slimtune's cosine schedule (runtime/src/step/lr_schedule.cpp): step s
    (0-based) gets lr * (s + 1) / warmup during warmup, then lr * 0.5 * (1 + cos(pi * (s -
    warmup) / (steps - warmup))) - transformers.get_cosine_schedule_with_warmup's curve except
    that its warmup starts at 0 instead of lr / warmup.
  * one step: forward with labels=None and the loss computed here as the mean token
    cross-entropy of the logits against the shifted targets (what slimtune's fused loss
    computes), backward, clip, optimizer.step(), scheduler.step(), zero_grad(set_to_none=True).
  * threads: torch.set_num_threads(--threads, default 2), the benchmark machine's cores.
  * step time: time.perf_counter() around each whole step; "median_step_seconds" leaves out
    the first 3 steps (fewer when there are fewer: at least the last step counts).
  * validation loss: at the end, model.eval() and torch.no_grad(), the mean token
    cross-entropy over every held-out window (all tokens count), batches of --batch -
    slimtune's `--eval-batches 0`. The same before the first step ("val_loss_step0", the base
    model: LoRA's B starts at zero), to set against slimtune train's "eval step 0" line; the
    RSS figures include both evaluations, the step times neither.
  * memory: "max_rss_bytes" = resource.getrusage(RUSAGE_SELF).ru_maxrss * 1024 at the end, the
    whole process's high-water mark, GGUF dequantization and validation included (the same
    thing /usr/bin/time -v reports for slimtune train). Also recorded: "rss_after_load_bytes"
    (the high-water mark once the model and its adapters are built, before any step) and
    "train_rss_bytes" (the largest current RSS, /proc/self/statm, sampled after each forward,
    each backward and each optimizer step - a sample, not a peak).

Usage:
  peak_vs_peft.py hf --model MODEL.gguf --data CORPUS.txt --json OUT.json
                     [--doc-separator %] [--batch 4] [--seq 256] [--steps 200] [--lr 1e-3]
                     [--warmup-steps N] [--val-fraction 0.05] [--seed 1] [--threads 2]
  peak_vs_peft.py table [--no-hf] WORK_DIR NAME...
    WORK_DIR holds, for each NAME: NAME.report (compile --memory-report), NAME.log (train's
    standard output), NAME.jsonl (train --log), NAME.time (/usr/bin/time -v's output, or a
    line "Maximum resident set size (kbytes): N"); step-ab.txt (bench-step-ab's output) and
    hf-peft.json (the hf subcommand's), each optional: a missing one leaves its cells at "-".
"""
import argparse
import json
import math
import os
import re
import resource
import statistics
import sys
import time

MASK64 = (1 << 64) - 1


# --- slimtune's data order (runtime/src/support/random.h, runtime/src/data/packed_dataset.cpp)

class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):  # Lemire's multiply-shift with rejection
        while True:
            m = self.next() * n
            low = m & MASK64
            if low >= n or low >= ((-n) & MASK64) % n:
                return m >> 64


def fnv1a(text):
    h = 14695981039346656037
    for byte in text.encode():
        h = ((h ^ byte) * 1099511628211) & MASK64
    return h


def shuffle(items, random):
    for i in range(len(items), 1, -1):
        j = random.below(i)
        items[i - 1], items[j] = items[j], items[i - 1]


def split_documents(text, separator):
    """slimtune's splitPlainText: documents between lines equal to `separator` (a trailing
    '\\r' ignored), surrounding newlines trimmed, blank documents dropped."""
    documents, start, at = [], 0, 0

    def close(end):
        document = text[start:end].strip("\r\n")
        if document.strip(" \t\r"):
            documents.append(document)

    while at < len(text):
        end = text.find("\n", at)
        if end < 0:
            end = len(text)
        line = text[at:end]
        if (line[:-1] if line.endswith("\r") else line) == separator:
            close(at)
            start = end + 1
        at = end + 1
    if start < len(text):
        close(len(text))
    return documents


class PackedDataset:
    def __init__(self, documents, eos, seq, val_fraction, seed):
        order = list(range(len(documents)))
        shuffle(order, SplitMix64(seed ^ fnv1a("documents")))
        self.stream = []
        for i in order:
            self.stream.extend(documents[i])
            self.stream.append(eos)
        self.seq, self.seed = seq, seed
        windows = (len(self.stream) - 1) // seq if len(self.stream) > seq else 0
        held = math.ceil(val_fraction * windows)
        if windows - held < 1:
            sys.exit(f"peak_vs_peft.py: {len(self.stream)} tokens make {windows} sequences: none to train on")
        self.windows, self.train_count = windows, windows - held
        self._epoch, self._order = -1, None

    def window(self, w):
        chunk = self.stream[w * self.seq: w * self.seq + self.seq + 1]
        return chunk[:-1], chunk[1:]

    def train_window(self, sequence):
        epoch, at = divmod(sequence, self.train_count)
        if epoch != self._epoch:
            self._order = list(range(self.train_count))
            shuffle(self._order, SplitMix64(
                self.seed ^ fnv1a("epoch") ^ ((epoch * 0x9E3779B97F4A7C15) & MASK64)))
            self._epoch = epoch
        return self._order[at]

    def train_batch(self, consumed, batch):
        return [self.window(self.train_window(consumed + r)) for r in range(batch)]

    def val_batches(self, batch):
        ids = list(range(self.train_count, self.windows))
        for i in range(0, len(ids), batch):
            yield [self.window(w) for w in ids[i:i + batch]]


def cosine_lr_factor(s, warmup, total):
    """slimtune's LrSchedule::at(s) / lr, min-lr 0."""
    if s < warmup:
        return (s + 1) / warmup
    if s >= total:
        return 0.0
    return 0.5 * (1.0 + math.cos(math.pi * (s - warmup) / (total - warmup)))


def current_rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def max_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def version_tuple(v):
    out = []
    for part in v.split(".")[:3]:
        digits = "".join(ch for ch in part.split("+")[0] if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def gguf_pre_tokenizer(path):
    """The GGUF file's tokenizer.ggml.pre (llama.cpp's pre-tokenizer name), or None."""
    from gguf import GGUFReader
    field = GGUFReader(path).fields.get("tokenizer.ggml.pre")
    return bytes(field.parts[field.data[0]]).decode() if field is not None else None


def restore_digit_split(tokenizer, pre):
    """transformers' GGUF tokenizer converter builds a bare ByteLevel pre-tokenizer, dropping
    the Digits(individual_digits=True) step in front of it that llama.cpp's "smollm" (also
    "starcoder", "refact") pre-tokenizer and SmolLM2's own tokenizer.json have - and that
    slimtune's GGUF tokenizer keeps. Without it a run of whitespace before a digit splits
    differently ("\n\n 1" gives "\n\n", " ", "1" instead of "\n\n ", "1"), so the packed windows
    drift from slimtune's. Puts the step back; returns what was done."""
    from tokenizers import pre_tokenizers

    if pre not in ("smollm", "starcoder", "refact"):
        return "none (GGUF pre-tokenizer %r)" % pre
    backend = tokenizer.backend_tokenizer
    state = json.loads(backend.pre_tokenizer.__getstate__()) if backend.pre_tokenizer else {}
    if state.get("type") != "ByteLevel":
        return "none (transformers built a %s pre-tokenizer)" % state.get("type")
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=state.get("add_prefix_space", False),
                                 trim_offsets=state.get("trim_offsets", True),
                                 use_regex=state.get("use_regex", True)),
    ])
    return "Digits(individual_digits=True) put before ByteLevel (GGUF pre-tokenizer %r)" % pre


def run_hf(args):
    import torch
    import torch.nn.functional as F
    import transformers
    import peft
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from peft import LoraConfig, get_peft_model

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    folder, name = os.path.split(os.path.abspath(args.model))
    result = {
        "system": "hf+peft", "device": "cpu", "threads": torch.get_num_threads(),
        "model": args.model, "data": args.data, "batch": args.batch, "seq": args.seq,
        "steps": args.steps, "lr": args.lr, "warmup_steps": args.warmup_steps, "seed": args.seed,
        "torch": torch.__version__, "transformers": transformers.__version__,
        "peft": peft.__version__,
    }

    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    result["tokenizer_fix"] = restore_digit_split(tokenizer, gguf_pre_tokenizer(args.model))
    dtype_kw = "dtype" if version_tuple(transformers.__version__) >= (4, 56) else "torch_dtype"
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, **{dtype_kw: torch.float32})
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                      bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    result["trainable_params"] = sum(p.numel() for p in trainable)
    result["total_params"] = sum(p.numel() for p in model.parameters())
    result["load_seconds"] = time.perf_counter() - start

    eos = tokenizer.eos_token_id
    with open(args.data, encoding="utf-8") as f:
        documents = split_documents(f.read(), args.doc_separator)
    ids = [tokenizer(d, add_special_tokens=False)["input_ids"] for d in documents]
    data = PackedDataset(ids, eos, args.seq, args.val_fraction, args.seed)
    result.update(documents=len(documents), tokens=sum(len(t) for t in ids), eos_id=eos,
                  train_sequences=data.train_count, val_sequences=data.windows - data.train_count)
    print(f"hf+peft: {len(documents)} documents, {result['tokens']} tokens; "
          f"{data.train_count} training and {result['val_sequences']} validation sequences of "
          f"{args.seq} tokens", file=sys.stderr)
    result["rss_after_load_bytes"] = max_rss_bytes()

    opt = torch.optim.AdamW(trainable, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    warmup = args.warmup_steps
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: cosine_lr_factor(s, warmup, args.steps))

    def tensors(rows):
        x = torch.tensor([r[0] for r in rows], dtype=torch.long)
        y = torch.tensor([r[1] for r in rows], dtype=torch.long)
        return x, y

    def token_loss(x, y, reduction="mean"):
        logits = model(input_ids=x, use_cache=False).logits
        return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1),
                               reduction=reduction)

    def validate():
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for rows in data.val_batches(args.batch):
                x, y = tensors(rows)
                total += token_loss(x, y, reduction="sum").item()
                count += y.numel()
        model.train()
        return total / count, count

    # Before the first step, as slimtune train's "eval step 0" (--eval-every): the base model
    # (LoRA B is zero) on the held-out windows, which checks the model and the data apart
    # from training.
    result["val_loss_step0"] = validate()[0]
    print(f"hf+peft: eval step 0  val_loss {result['val_loss_step0']:.4f}", file=sys.stderr)

    step_seconds, losses, grad_norms, lrs = [], [], [], []
    train_rss = current_rss_bytes()
    for step in range(args.steps):
        x, y = tensors(data.train_batch(step * args.batch, args.batch))
        lrs.append(opt.param_groups[0]["lr"])
        t0 = time.perf_counter()
        loss = token_loss(x, y)
        rss_fwd = current_rss_bytes()
        loss.backward()
        rss_bwd = current_rss_bytes()
        norm = torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step_seconds.append(time.perf_counter() - t0)
        train_rss = max(train_rss, rss_fwd, rss_bwd, current_rss_bytes())
        losses.append(loss.item())
        grad_norms.append(float(norm))
        print(f"hf+peft step {step + 1}/{args.steps}  loss {losses[-1]:.4f}  grad_norm "
              f"{grad_norms[-1]:.4f}  lr {lrs[-1]:.3g}  {step_seconds[-1]:.2f} s", file=sys.stderr)
        del loss

    result["val_loss"], result["val_tokens"] = validate()

    timed = step_seconds[min(3, len(step_seconds) - 1):]
    result["median_step_seconds"] = statistics.median(timed)
    result["step_seconds"] = step_seconds
    result["losses"] = losses
    result["grad_norms"] = grad_norms
    result["lrs"] = lrs
    result["train_rss_bytes"] = train_rss
    result["max_rss_bytes"] = max_rss_bytes()
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"hf+peft: median step {result['median_step_seconds']:.3f} s, validation loss "
          f"{result['val_loss']:.4f}, max RSS {result['max_rss_bytes'] / 2**20:.0f} MiB",
          file=sys.stderr)


# --- the table (standard library only)

def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def search(pattern, text, cast=float):
    m = re.search(pattern, text or "", re.M)
    return cast(m.group(1)) if m else None


def mib(n):
    return "-" if n is None else f"{n / 2**20:.0f} MiB"


def seconds(s):
    return "-" if s is None else f"{s:.2f} s"


def relative(a, b, fmt):
    return "-" if a is None or b is None or b == 0 else fmt(a, b)


def step_ab(text):
    """bench-step-ab's lines, by artifact name less '.so': (median s, ratio to the first)."""
    out = {}
    for m in re.finditer(r"^(\S+?)\.so: median step ([0-9.]+) s over \d+ rounds; against \S+: x([0-9.]+)",
                         text or "", re.M):
        out[os.path.basename(m.group(1))] = (float(m.group(2)), float(m.group(3)))
    return out


def run_table(args):
    work, names = args.work_dir, args.names
    ab = step_ab(read(f"{work}/step-ab.txt"))
    hf = None if args.no_hf else json.loads(read(f"{work}/hf-peft.json") or "null")
    hf_rss = hf.get("max_rss_bytes") if hf else None
    rows = []
    for name in names:
        log = read(f"{work}/{name}.log")
        elapsed, val0 = [], None
        for line in (read(f"{work}/{name}.jsonl") or "").splitlines():
            record = json.loads(line) if line.strip() else {}
            if "loss" in record:
                elapsed.append(record["elapsed_s"])
            elif record.get("step") == 0 and "val_loss" in record:
                val0 = record["val_loss"]
        # Differences of elapsed_s between consecutive steps: the evaluation pauses fall out
        # of the median, and so does the first step (its time includes no warm-up either way).
        diffs = [b - a for a, b in zip(elapsed, elapsed[1:])]
        rows.append({
            "name": name,
            "planned": search(r"^peak: (\d+) bytes$", read(f"{work}/{name}.report"), int),
            "measured": search(r"^peak memory: (\d+) bytes$", log, int),
            "rss": (lambda k: k * 1024 if k is not None else None)(
                search(r"Maximum resident set size \(kbytes\): (\d+)", read(f"{work}/{name}.time"), int)),
            "step": statistics.median(diffs) if diffs else None,
            "ab": ab.get(name),
            "val": search(r"^validation loss: ([0-9.]+)$", log),
            "steps": len(elapsed),
            "val0": val0,
        })
    first = rows[0] if rows else {}
    header = ["config", "planned peak", "measured peak", "process max RSS", "RSS vs HF+PEFT",
              "step time (train median)", f"step vs {first.get('name', 'first')} (side by side)",
              "val loss", f"val vs {first.get('name', 'first')}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for r in rows:
        lines.append("| " + " | ".join([
            r["name"], mib(r["planned"]), mib(r["measured"]), mib(r["rss"]),
            relative(r["rss"], hf_rss, lambda a, b: f"x{a / b:.2f}"),
            seconds(r["step"]),
            "-" if r["ab"] is None else f"x{r['ab'][1]:.3f} ({r['ab'][0]:.2f} s)",
            "-" if r["val"] is None else f"{r['val']:.4f}",
            relative(r["val"], first.get("val"), lambda a, b: f"{100 * (a / b - 1):+.2f}%"),
        ]) + " |")
    if hf is not None:
        hf_step, hf_val = hf.get("median_step_seconds"), hf.get("val_loss")
        lines.append("| " + " | ".join([
            "HF+PEFT (fp32, CPU)", "-", "-", mib(hf_rss), "x1.00" if hf_rss else "-",
            seconds(hf_step),
            relative(hf_step, first.get("step"), lambda a, b: f"x{a / b:.3f} (train medians)"),
            "-" if hf_val is None else f"{hf_val:.4f}",
            relative(hf_val, first.get("val"), lambda a, b: f"{100 * (a / b - 1):+.2f}%"),
        ]) + " |")
    print("\n".join(lines))
    steps = sorted({r["steps"] for r in rows})
    print()
    print(f"Steps trained: {', '.join(map(str, steps)) or '-'} (slimtune)"
          + (f", {hf.get('steps')} (HF+PEFT)" if hf else "") + ". Peaks and RSS in MiB (2^20 bytes); "
          "planned peak: compile --memory-report; measured peak: train's arena peak; process max "
          "RSS: /usr/bin/time -v (slimtune train) and getrusage (HF+PEFT), model loading included; "
          "step time: median of train's per-step times; side by side: bench-step-ab's median of "
          "per-round ratios (its median step in parentheses).")
    if hf is not None:
        print(f"HF+PEFT: torch {hf.get('torch')}, transformers {hf.get('transformers')}, peft "
              f"{hf.get('peft')}, {hf.get('threads')} threads; {hf.get('tokens')} tokens in "
              f"{hf.get('documents')} documents, {hf.get('train_sequences')} training and "
              f"{hf.get('val_sequences')} validation sequences; RSS after loading "
              f"{mib(hf.get('rss_after_load_bytes'))}, largest RSS sampled during training "
              f"{mib(hf.get('train_rss_bytes'))}; tokenizer fix: {hf.get('tokenizer_fix', '-')}.")
    logs = [read(f"{work}/{n}.log") for n in names]
    data = next((search(r"^data: .*: (\d+ documents, \d+ tokens)", log, str) for log in logs if log), None)
    if data:
        print(f"slimtune: {data}.")
    # The base model on the held-out windows, before any step: model and data apart from training.
    start = [f"{r['name']} {r['val0']:.4f}" for r in rows if r["val0"] is not None]
    if hf is not None and hf.get("val_loss_step0") is not None:
        start.append(f"HF+PEFT {hf['val_loss_step0']:.4f}")
    if start:
        print(f"Validation loss before the first step: {', '.join(start)}.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    hf = sub.add_parser("hf", help="train with HF transformers + PEFT on the CPU; write JSON")
    hf.add_argument("--model", required=True, help="the .gguf file")
    hf.add_argument("--data", required=True, help="the text corpus")
    hf.add_argument("--json", required=True, help="where the report goes")
    hf.add_argument("--doc-separator", default="%")
    hf.add_argument("--batch", type=int, default=4)
    hf.add_argument("--seq", type=int, default=256)
    hf.add_argument("--steps", type=int, default=200)
    hf.add_argument("--lr", type=float, default=1e-3)
    hf.add_argument("--warmup-steps", type=int, default=None,
                    help="default: steps / 20 from 40 steps on, else 1 (as bench_peak.sh)")
    hf.add_argument("--val-fraction", type=float, default=0.05)
    hf.add_argument("--seed", type=int, default=1)
    hf.add_argument("--threads", type=int, default=2)
    table = sub.add_parser("table", help="print the markdown table of a bench_peak.sh run")
    table.add_argument("--no-hf", action="store_true", help="leave out the HF + PEFT row")
    table.add_argument("work_dir")
    table.add_argument("names", nargs="+")
    args = ap.parse_args()
    if args.command == "hf":
        if args.steps < 1:
            ap.error("--steps must be at least 1")
        if args.warmup_steps is None:
            args.warmup_steps = args.steps // 20 if args.steps >= 40 else 1
        if not 0 <= args.warmup_steps < args.steps:
            ap.error("--warmup-steps must be in [0, steps)")
        run_hf(args)
    else:
        run_table(args)


if __name__ == "__main__":
    main()
