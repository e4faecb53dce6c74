"""Checkpoints: damaged on disk (caught by the checksums), or damaged by something that also
rewrote the checksums (caught by each file's own checks), or whole but belonging to another
model, adapter or dataset; resumed and exported."""
import json
import os
import shutil
import struct

from .common import Case, read_safetensors, rewrite_checksums, safetensors_bytes, token_ids

A = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"


def cases(c):
    out = []
    model = c.fixture("llama-tiny")
    adapter = c.write("lora.json", '{"peft_type": "LORA", "r": 4, "lora_alpha": 8}')
    tokens = c.write("tokens.u32", token_ids(2000))
    run = c.path("run")
    c.run([c.slimtune, "train", "--model", model, "--adapter", adapter, "--tokens", tokens, "--steps", "4",
           "--batch", "2", "--seq", "16", "--save-every", "2", "--out", run])
    good = os.path.join(run, "checkpoints", "step-4")

    def damaged(name, damage, rewrite=True):
        """A copy of the good checkpoint, damaged; with rewrite, its checksums then recomputed.
        (Outside any <run>/checkpoints/ folder: each case resumes into a folder of its own.)"""
        folder = c.path("copies", name)
        shutil.copytree(good, folder)
        damage(folder)
        if rewrite and os.path.exists(os.path.join(folder, "checksums.sha256")):
            rewrite_checksums(folder)
        for text in ("trainer_state.json", "checksums.sha256"):
            if os.path.exists(os.path.join(folder, text)):
                c.to_corpus("checkpoint_state", f"{name}-{text}", os.path.join(folder, text))
        return folder

    def resume(name, folder, *expect):
        out.append(Case(name, [c.slimtune, "train", "--resume", folder, "--steps", "6", "--out",
                               c.path("runs", name)], [*expect]))

    def export(name, folder, *expect):
        out.append(Case(name, [c.slimtune, "export", "--checkpoint", folder, "--format", "peft",
                               "-o", c.path(name + "-export")], [*expect]))

    def write(file, content):
        def damage(folder):
            with open(os.path.join(folder, file), "wb") as f:
                f.write(content if isinstance(content, bytes) else content.encode())
        return damage

    def state(change):
        def damage(folder):
            path = os.path.join(folder, "trainer_state.json")
            data = json.load(open(path))
            change(data)
            with open(path, "w") as f:
                json.dump(data, f)
        return damage

    def tensors(change, file="adapter_model.safetensors"):
        def damage(folder):
            path = os.path.join(folder, file)
            header, data = read_safetensors(path)
            header, data = change(header, bytearray(data))
            with open(path, "wb") as f:
                f.write(safetensors_bytes(header, bytes(data)))
        return damage

    def remove(file):
        return lambda folder: os.remove(os.path.join(folder, file))

    def flip(file, at):
        def damage(folder):
            path = os.path.join(folder, file)
            data = bytearray(open(path, "rb").read())
            data[at] ^= 0xFF
            open(path, "wb").write(bytes(data))
        return damage

    # What the checksums catch (not rewritten).
    for name, damage, expect in [
        ("no-checksums", remove("checksums.sha256"), "checksums.sha256"),
        ("checksums-empty", write("checksums.sha256", ""), "checksums.sha256"),
        ("checksums-malformed", write("checksums.sha256", "not a digest line\n"), "checksums.sha256"),
        ("checksums-traversal", write("checksums.sha256", "0" * 64 + "  ../../etc/passwd\n"), "checksums.sha256"),
        ("flipped-adapter", flip("adapter_model.safetensors", 300), "adapter_model.safetensors"),
        ("flipped-state", flip("trainer_state.json", 10), "trainer_state.json"),
        ("missing-optimizer", remove("optimizer.safetensors"), "optimizer.safetensors"),
    ]:
        folder = damaged(name, damage, rewrite=False)
        resume("resume-" + name, folder, name, expect)
        export("export-" + name, folder, name, expect)

    # What each file's own checks catch (checksums rewritten to match the damage).
    for name, damage, expect in [
        ("state-not-json", write("trainer_state.json", "{step: 4"), "trainer_state.json"),
        ("state-wrong-format", state(lambda s: s.__setitem__("format", "other")), "not a slimtune checkpoint"),
        ("state-version-2", state(lambda s: s.__setitem__("version", 2)), "version"),
        ("state-version-wraps", state(lambda s: s.__setitem__("version", 2**32 + 1)), "version"),
        ("state-step-negative", state(lambda s: s.__setitem__("step", -1)), "step"),
        ("state-step-text", state(lambda s: s.__setitem__("step", "4")), "step"),
        ("state-trainer-list", state(lambda s: s.__setitem__("trainer", [])), "trainer"),
        ("state-sha-malformed", state(lambda s: s.__setitem__("base_model_sha256", "abc")), "base_model_sha256"),
        ("state-path-number", state(lambda s: s.__setitem__("base_model_path", 5)), "base_model_path"),
        ("adapter-truncated", write("adapter_model.safetensors", b"\x08\x00\x00"), "adapter_model.safetensors"),
        ("optimizer-not-safetensors", write("optimizer.safetensors", b"PK\x03\x04zip"), "optimizer.safetensors"),
    ]:
        folder = damaged(name, damage)
        resume("resume-" + name, folder, name, expect)
        if name != "optimizer-not-safetensors":  # export reads the adapter alone
            export("export-" + name, folder, name, expect)

    # Damage only loading into the step sees (export copies tensors as they are).
    def drop(header, data):
        header.pop(A)
        return header, data

    def reshape(header, data):
        header[A]["shape"] = header[A]["shape"][::-1]
        return header, data

    def as_f16(header, data):
        header[A]["dtype"] = "F16"
        header[A]["shape"] = [header[A]["shape"][0], header[A]["shape"][1] * 2]
        return header, data

    def poison(header, data):
        begin = header[A]["data_offsets"][0]
        data[begin + 8:begin + 12] = struct.pack("<f", float("nan"))
        return header, data

    def extra(header, data):
        header["base_model.model.extra.lora_A.weight"] = dict(header[A])
        return header, data

    for name, damage, expect in [
        ("adapter-tensor-missing", tensors(drop), "adapter_model.safetensors"),
        ("adapter-tensor-transposed", tensors(reshape), A),
        ("adapter-tensor-f16", tensors(as_f16), A),
        ("adapter-tensor-nan", tensors(poison), "NaN at element 2"),
        ("adapter-extra-tensor", tensors(extra), "adapter_model.safetensors"),
        ("optimizer-tensor-nan", tensors(poison_optimizer, "optimizer.safetensors"), "NaN"),
        ("adapter-config-not-json", write("adapter_config.json", "{r: 4"), "adapter_config.json"),
        ("settings-not-object", state(lambda s: s["trainer"].__setitem__("settings", [1])), "settings"),
        ("settings-number", state(lambda s: s["trainer"]["settings"].__setitem__("batch", 2)), "batch"),
        ("data-position-wrong", state(lambda s: s["trainer"].__setitem__("sequences_consumed", 3)),
         "data position"),
    ]:
        resume("resume-" + name, damaged(name, damage), name, expect)

    # Whole checkpoints that belong to another run.
    other_tokens = c.write("other.u32", token_ids(2000, stride=5))
    out.append(Case("resume-other-data", [c.slimtune, "train", "--resume", good, "--tokens", other_tokens,
                                          "--steps", "6"], ["step-4", "training data differs"]))
    other_adapter = c.write("other-lora.json", '{"peft_type": "LORA", "r": 8, "lora_alpha": 8}')
    out.append(Case("resume-other-adapter", [c.slimtune, "train", "--resume", good, "--adapter", other_adapter,
                                             "--steps", "6"], ["other-lora.json", "differs"]))
    out.append(Case("resume-other-batch", [c.slimtune, "train", "--resume", good, "--batch", "4", "--steps", "6"],
                    ["step-4", "--batch"]))
    out.append(Case("export-into-itself", [c.slimtune, "export", "--checkpoint", good, "--format", "peft",
                                           "-o", good], ["step-4", "itself"]))
    out.append(Case("export-merged-missing-model", [c.slimtune, "export", "--checkpoint", good, "--format", "merged",
                                                    "--model", c.path("gone"), "-o", c.path("merged")], ["gone"]))
    return out


def poison_optimizer(header, data):
    name = next(k for k in header if k.endswith("exp_avg_sq"))
    begin = header[name]["data_offsets"][0]
    data[begin:begin + 4] = struct.pack("<f", float("nan"))
    return header, data

