#!/usr/bin/env python3
"""An independent float64 numpy implementation of the LLaMA and GPT-2 forward passes with LoRA
adapters and mean next-token cross-entropy, written from the Hugging Face model definitions;
and a check of a compiled step (slimtune-check-step output) against it: the loss directly,
every gradient by central finite differences of this reference (none for a forward-only step).

  reference_model.py MODEL_FOLDER ADAPTER_CONFIG.json STEP_OUTPUT.safetensors

Stated tolerance: loss and every gradient within 1e-4 relative (to the largest magnitude of
the reference tensor); the step computes in fp32, the reference in fp64.
"""
import json
import math
import os
import struct
import sys

import numpy as np
from safetensors.numpy import load_file

TOLERANCE = 1e-4
M64 = (1 << 64) - 1


# -- Model files -------------------------------------------------------------------------------

def load_weights(folder):
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    weights = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        begin, end = spec["data_offsets"]
        raw = data[begin:end]
        if spec["dtype"] == "BF16":
            values = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            values = np.frombuffer(raw, {"F32": "<f4", "F16": "<f2"}[spec["dtype"]])
        weights[name.removeprefix("transformer.")] = values.astype(np.float64).reshape(spec["shape"])
    return weights


# -- Dropout, as kernel_abi.h specifies it (splitmix64 counter hash) ---------------------------

def mix64(z):
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def keep_mask(seed, step, count, p):
    stream = mix64(seed ^ mix64(step & 0xFFFFFFFF))
    p32 = float(np.float32(p))
    return np.array([(mix64((stream + i) & M64) >> 40) / 16777216.0 >= p32 for i in range(count)])


def module_seed(module):
    h = 14695981039346656037
    for c in module.encode():
        h = ((h ^ c) * 1099511628211) & M64
    return h & 0x7FFFFFFFFFFFFFFF


# -- Building blocks ---------------------------------------------------------------------------

def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def layer_norm(x, w, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rope(x, head_dim, theta):
    bsz, t, channels = x.shape
    heads = channels // head_dim
    x = x.reshape(bsz, t, heads, head_dim)
    inv = theta ** (-np.arange(0, head_dim, 2) / head_dim)
    angle = np.arange(t)[:, None] * inv[None, :]
    cos = np.concatenate([np.cos(angle)] * 2, axis=-1)[None, :, None, :]
    sin = np.concatenate([np.sin(angle)] * 2, axis=-1)[None, :, None, :]
    half = head_dim // 2
    rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return (x * cos + rotated * sin).reshape(bsz, t, channels)


def attention(q, k, v, heads, kv_heads, scale):
    bsz, t, _ = q.shape
    d = q.shape[-1] // heads
    q = q.reshape(bsz, t, heads, d).transpose(0, 2, 1, 3)
    k = np.repeat(k.reshape(bsz, t, kv_heads, d).transpose(0, 2, 1, 3), heads // kv_heads, axis=1)
    v = np.repeat(v.reshape(bsz, t, kv_heads, d).transpose(0, 2, 1, 3), heads // kv_heads, axis=1)
    scores = q @ k.transpose(0, 1, 3, 2) * scale
    scores = np.where(np.tril(np.ones((t, t), bool)), scores, -np.inf)
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return (p @ v).transpose(0, 2, 1, 3).reshape(bsz, t, heads * d)


def silu(x):
    return x / (1 + np.exp(-x))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def cross_entropy(logits, targets, ignore=-100):
    logits = logits.reshape(-1, logits.shape[-1])
    targets = targets.reshape(-1)
    rows = targets != ignore
    if not rows.any():
        return 0.0
    z = logits[rows]
    lse = z.max(-1) + np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1))
    return float(np.mean(lse - z[np.arange(len(z)), targets[rows]]))


# -- Models ------------------------------------------------------------------------------------

class Model:
    def __init__(self, folder, adapter_config):
        with open(os.path.join(folder, "config.json")) as f:
            self.config = json.load(f)
        self.w = load_weights(folder)
        with open(adapter_config) as f:
            adapter = json.load(f)
        # The rank of each module is its A's row count (rank_pattern may vary it); alpha is
        # the config's (these tests use no alpha_pattern).
        self.alpha = adapter.get("lora_alpha", 8)
        self.rslora = adapter.get("use_rslora", False)
        self.dropout = adapter.get("lora_dropout", 0.0)
        self.adapters = {}  # module path -> (A, B)

    def linear(self, module, x, weight, bias=None, conv1d=False):
        y = x @ (weight if conv1d else weight.T)
        if bias is not None:
            y = y + bias
        if module in self.adapters:
            a, b = self.adapters[module]
            xd = x
            if self.dropout > 0:
                keep = keep_mask(module_seed(module), 0, x.size, self.dropout).reshape(x.shape)
                xd = x * keep / (1 - float(np.float32(self.dropout)))
            r = a.shape[0]
            scale = self.alpha / (math.sqrt(r) if self.rslora else r)
            y = y + scale * (xd @ a.T) @ b.T
        return y

    def loss(self, inputs, targets):
        c, w = self.config, self.w
        if c["model_type"] == "llama":
            heads, kv = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
            hd = c["hidden_size"] // heads
            theta = c.get("rope_theta") or c.get("rope_parameters", {}).get("rope_theta", 10000.0)
            eps = c.get("rms_norm_eps", 1e-6)
            x = w["model.embed_tokens.weight"][inputs]
            for i in range(c["num_hidden_layers"]):
                p, m = f"model.layers.{i}.", f"model.layers.{i}."
                h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
                q = rope(self.linear(m + "self_attn.q_proj", h, w[p + "self_attn.q_proj.weight"]), hd, theta)
                k = rope(self.linear(m + "self_attn.k_proj", h, w[p + "self_attn.k_proj.weight"]), hd, theta)
                v = self.linear(m + "self_attn.v_proj", h, w[p + "self_attn.v_proj.weight"])
                a = attention(q, k, v, heads, kv, 1 / math.sqrt(hd))
                x = x + self.linear(m + "self_attn.o_proj", a, w[p + "self_attn.o_proj.weight"])
                h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
                g = self.linear(m + "mlp.gate_proj", h, w[p + "mlp.gate_proj.weight"])
                u = self.linear(m + "mlp.up_proj", h, w[p + "mlp.up_proj.weight"])
                x = x + self.linear(m + "mlp.down_proj", silu(g) * u, w[p + "mlp.down_proj.weight"])
            h = rms_norm(x, w["model.norm.weight"], eps)
            head = w["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else w["lm_head.weight"]
            return cross_entropy(self.linear("lm_head", h, head), targets)
        # GPT-2
        heads, C = c["n_head"], c["n_embd"]
        eps = c.get("layer_norm_epsilon", 1e-5)
        x = w["wte.weight"][inputs] + w["wpe.weight"][np.arange(inputs.shape[1])][None]
        for i in range(c["n_layer"]):
            p, m = f"h.{i}.", f"transformer.h.{i}."
            h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
            qkv = self.linear(m + "attn.c_attn", h, w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"], True)
            a = attention(qkv[..., :C], qkv[..., C:2 * C], qkv[..., 2 * C:], heads, heads, 1 / math.sqrt(C // heads))
            x = x + self.linear(m + "attn.c_proj", a, w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"], True)
            h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
            f = gelu_tanh(self.linear(m + "mlp.c_fc", h, w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"], True))
            x = x + self.linear(m + "mlp.c_proj", f, w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"], True)
        h = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
        return cross_entropy(self.linear("lm_head", h, w["wte.weight"]), targets)


def main():
    folder, adapter_config, step_output = sys.argv[1:4]
    model = Model(folder, adapter_config)
    out = load_file(step_output)
    inputs, targets = out["batch.inputs"].astype(np.int64), out["batch.targets"].astype(np.int64)
    params = sorted(name for name in out if name.endswith((".lora_A.weight", ".lora_B.weight")))
    for name in params:
        module = name.removeprefix("base_model.model.").rsplit(".lora_", 1)[0]
        a_or_b = 0 if ".lora_A." in name else 1
        pair = list(model.adapters.get(module, (None, None)))
        pair[a_or_b] = out[name].astype(np.float64).copy()
        model.adapters[module] = tuple(pair)

    reference_loss = model.loss(inputs, targets)
    loss = float(out["loss"][()])
    difference = abs(loss - reference_loss) / abs(reference_loss)
    if difference > TOLERANCE:
        print(f"loss {loss} differs from the reference {reference_loss} by {difference:.3g}")
        return 1
    if not any(name.endswith(".grad") for name in out):
        # A forward-only artifact (e.g. adapters merged by slim-merge-adapters): the loss is all.
        print(f"loss {loss:.6f} matches the reference (relative difference {difference:.2g}); "
              "forward only")
        return 0
    worst = 0.0
    h = 1e-6
    for name in params:
        module = name.removeprefix("base_model.model.").rsplit(".lora_", 1)[0]
        which = 0 if ".lora_A." in name else 1
        values = model.adapters[module][which]
        grad = np.zeros_like(values)
        for index in np.ndindex(values.shape):
            keep = values[index]
            values[index] = keep + h
            up = model.loss(inputs, targets)
            values[index] = keep - h
            down = model.loss(inputs, targets)
            values[index] = keep
            grad[index] = (up - down) / (2 * h)
        ours = out[name + ".grad"].astype(np.float64)
        relative = float(np.abs(ours - grad).max() / max(np.abs(grad).max(), 1e-30))
        worst = max(worst, relative)
        if relative > TOLERANCE:
            print(f"{name}: gradient differs from finite differences by {relative:.3g} "
                  f"(largest reference value {np.abs(grad).max():.3g})")
            return 1
    print(f"loss {loss:.6f} matches the reference (relative difference {difference:.2g}); "
          f"{len(params)} gradients match finite differences (largest relative difference {worst:.2g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
