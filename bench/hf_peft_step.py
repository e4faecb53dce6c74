"""HF transformers + PEFT side of one GPU benchmark row (bench/gpu_table.py reads its output).

What is measured: the wall-clock time of one LoRA training step (forward with labels, backward,
gradient clipping at 1.0, AdamW step, zero_grad) and the CUDA caching allocator's peak of
allocated bytes, for a model built from a Hugging Face config.json alone with random bf16
weights (no checkpoint is read, nothing is downloaded).

How:
  * model: AutoConfig.from_pretrained(folder holding the config) and
    AutoModelForCausalLM.from_config(cfg, dtype=bfloat16, attn_implementation="sdpa"), built
    directly on the GPU after torch.manual_seed(SEED); use_cache=False in the forward.
  * adapters: PEFT LoRA r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear"
    (every nn.Linear but the LM head), task_type CAUSAL_LM, get_peft_model defaults. Those
    defaults include autocast_adapter_dtype=True (PEFT >= 0.12), which upcasts bf16/fp16
    adapter weights to fp32 - matching slimtune's fp32 LoRA weights; the dtype found is
    recorded as "adapter_dtype" all the same.
  * optimizer: torch.optim.AdamW over the trainable parameters, lr=1e-4, fused=True where the
    installed torch supports it; torch.nn.utils.clip_grad_norm_(..., 1.0).
  * no gradient checkpointing, no torch.compile, no autocast (the base runs in bf16, the
    adapters in their own dtype as PEFT casts them).
  * inputs: batch x seq random token ids in [0, vocab_size) from a torch.Generator seeded with
    SEED, labels = inputs (the model shifts them internally, so seq - 1 positions are scored).
    The same batch is used every step.
  * timing: torch.cuda.synchronize() before and after each whole step, time.perf_counter();
    the median leaves out the first WARMUP steps (at most steps - 1, as slimtune-run-steps).
  * memory: weights_bytes = torch.cuda.memory_allocated() after the model and its adapters are
    on the GPU; torch.cuda.reset_peak_memory_stats() just before the first step, peak_bytes =
    torch.cuda.max_memory_allocated() after the last (so optimizer state, activations and
    gradients are in, the CUDA context and allocator cache slack are not; max_memory_reserved
    is recorded too as "peak_reserved_bytes").

On what: whatever CUDA device torch picks (an NVIDIA H100 for the issue's table); the device
name and the torch / transformers / peft versions go into the JSON.

On CUDA out of memory it writes {"system": "hf+peft", "error": "out of memory", ...} and exits
0, so the table can show OOM; other exceptions propagate.

Usage:
  python3 bench/hf_peft_step.py --config CONFIG.json --batch B --seq T --steps N --warmup W \
      --json OUT.json [--seed S] [--model NAME]
  --model defaults to the config's folder name (or the file's stem when it sits in the
  current directory / is not named config.json).
"""
import argparse
import inspect
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import torch
import transformers
import peft
from transformers import AutoConfig, AutoModelForCausalLM
from peft import LoraConfig, get_peft_model

LORA_TARGETS = "all-linear"  # for LLaMA: q_proj k_proj v_proj o_proj gate_proj up_proj down_proj


def default_model_name(config_path):
    path = os.path.abspath(config_path)
    if os.path.isdir(path):
        return os.path.basename(path.rstrip(os.sep))
    if os.path.basename(path) == "config.json":
        return os.path.basename(os.path.dirname(path))
    return os.path.splitext(os.path.basename(path))[0]


def load_config(config_path):
    """AutoConfig from a folder, or from a file by way of its folder (when it is named
    config.json) or a temporary folder it is copied into (any other name); this sidesteps
    whether the installed transformers accepts a file path."""
    if os.path.isdir(config_path):
        return AutoConfig.from_pretrained(config_path)
    if os.path.basename(config_path) == "config.json":
        return AutoConfig.from_pretrained(os.path.dirname(os.path.abspath(config_path)))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(config_path, os.path.join(tmp, "config.json"))
        return AutoConfig.from_pretrained(tmp)


def version_tuple(v):
    out = []
    for part in v.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def build_model(cfg):
    # transformers renamed from_config's/from_pretrained's torch_dtype to dtype in 4.56.
    dtype_kw = "dtype" if version_tuple(transformers.__version__) >= (4, 56) else "torch_dtype"
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(
            cfg, attn_implementation="sdpa", **{dtype_kw: torch.bfloat16})
    return model.to("cuda")


def run(args, result):
    torch.manual_seed(args.seed)
    cfg = load_config(args.config)
    model = build_model(cfg)
    base_bytes = torch.cuda.memory_allocated()

    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=LORA_TARGETS,
                      task_type="CAUSAL_LM")
    # get_peft_model defaults: autocast_adapter_dtype=True casts bf16 adapters to fp32.
    model = get_peft_model(model, lora)
    model.train()
    torch.cuda.synchronize()
    result["base_weights_bytes"] = base_bytes
    result["weights_bytes"] = torch.cuda.memory_allocated()

    trainable = [p for p in model.parameters() if p.requires_grad]
    dtypes = sorted({str(p.dtype).replace("torch.", "") for p in trainable})
    result["adapter_dtype"] = dtypes[0] if len(dtypes) == 1 else dtypes
    result["base_dtype"] = "bfloat16"
    result["trainable_params"] = sum(p.numel() for p in trainable)
    result["total_params"] = sum(p.numel() for p in model.parameters())

    fused = "fused" in inspect.signature(torch.optim.AdamW).parameters
    opt = torch.optim.AdamW(trainable, lr=1e-4, **({"fused": True} if fused else {}))
    result["settings"] = (
        f"LoRA r=16 alpha=32 dropout=0.0 target_modules={LORA_TARGETS} (get_peft_model defaults); "
        f"base bf16, adapters {result['adapter_dtype']}; attn_implementation=sdpa; "
        f"AdamW lr=1e-4 fused={fused}; clip_grad_norm_ 1.0; zero_grad(set_to_none=True); "
        "no gradient checkpointing; no torch.compile; no autocast; use_cache=False; "
        "random weights from config (seed), random token ids, labels=inputs, same batch each step")

    gen = torch.Generator(device="cpu").manual_seed(args.seed)
    ids = torch.randint(0, cfg.vocab_size, (args.batch, args.seq), generator=gen).to("cuda")

    step_seconds, losses, grad_norms = [], [], []
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(args.steps):
        torch.cuda.synchronize()
        start = time.perf_counter()
        out = model(input_ids=ids, labels=ids, use_cache=False)
        out.loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        step_seconds.append(time.perf_counter() - start)
        losses.append(out.loss.item())
        grad_norms.append(float(norm))
        del out
    torch.cuda.synchronize()

    timed = step_seconds[min(args.warmup, args.steps - 1):]
    result["median_step_seconds"] = statistics.median(timed)
    result["step_seconds"] = step_seconds
    result["peak_bytes"] = torch.cuda.max_memory_allocated()
    result["peak_reserved_bytes"] = torch.cuda.max_memory_reserved()
    result["losses"] = losses
    result["grad_norms"] = grad_norms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, help="config.json (or the folder holding it)")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--seq", type=int, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--warmup", type=int, required=True)
    ap.add_argument("--json", required=True, help="where the result JSON goes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default=None, help="row name (default: the config's folder name)")
    args = ap.parse_args()
    if args.steps < 1:
        ap.error("--steps must be at least 1")
    if not torch.cuda.is_available():
        sys.exit("hf_peft_step.py: no CUDA device")

    result = {
        "system": "hf+peft",
        "model": args.model or default_model_name(args.config),
        "gpu": torch.cuda.get_device_name(),
        "config": args.config,
        "batch": args.batch,
        "seq": args.seq,
        "steps": args.steps,
        "warmup": args.warmup,
        "seed": args.seed,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
    }
    oom = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)
    try:
        run(args, result)
    except oom as e:
        result["error"] = "out of memory"
        result["detail"] = str(e).splitlines()[0] if str(e) else ""
        result["peak_bytes_before_oom"] = torch.cuda.max_memory_allocated()
        for key in ("median_step_seconds", "step_seconds", "peak_bytes", "losses", "grad_norms"):
            result.pop(key, None)
        print(f"hf_peft_step.py: CUDA out of memory ({result['model']} "
              f"batch {args.batch} seq {args.seq})", file=sys.stderr)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    if "error" not in result:
        print(f"{result['model']} b{args.batch} s{args.seq}: median step "
              f"{result['median_step_seconds'] * 1e3:.2f} ms, peak "
              f"{result['peak_bytes'] / 2**30:.3f} GiB, final loss {result['losses'][-1]:.4f}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
