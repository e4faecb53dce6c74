"""Adapter configurations (PEFT adapter_config.json): not JSON, settings out of range, targets
that match nothing or the wrong thing, and PEFT features slimtune does not implement (refused
by name rather than trained differently)."""
import json

from .common import Case

BASE = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 8, "lora_alpha": 16,
        "target_modules": ["q_proj", "v_proj"], "bias": "none"}

# (name, changes to BASE, what the error must name)
SETTINGS = [
    ("peft-type-ia3", {"peft_type": "IA3"}, "peft_type"),
    ("task-seq-cls", {"task_type": "SEQ_CLS"}, "task_type"),
    ("rank-zero", {"r": 0}, '"r"'),
    ("rank-negative", {"r": -8}, '"r"'),
    ("rank-string", {"r": "8"}, '"r"'),
    ("rank-float", {"r": 8.5}, '"r"'),
    ("rank-2-to-40", {"r": 2**40}, '"r"'),
    ("rank-over-limit", {"r": 65537}, '"r"'),
    ("alpha-string", {"lora_alpha": "16"}, "lora_alpha"),
    ("alpha-overflows-scale", {"lora_alpha": 1e300}, "lora_alpha"),
    ("dropout-one", {"lora_dropout": 1.0}, "lora_dropout"),
    ("dropout-negative", {"lora_dropout": -0.1}, "lora_dropout"),
    ("dropout-string", {"lora_dropout": "0.1"}, "lora_dropout"),
    ("targets-empty-list", {"target_modules": []}, "target_modules"),
    ("targets-nothing", {"target_modules": ["no_such_proj"]}, "target_modules"),
    ("targets-number", {"target_modules": 5}, "target_modules"),
    ("targets-bad-regex", {"target_modules": ".*(q_proj"}, "target_modules"),
    ("targets-a-norm", {"target_modules": ["input_layernorm"]}, "target_modules"),
    ("targets-list-of-numbers", {"target_modules": [1, 2]}, "target_modules"),
    ("exclude-bad-regex", {"target_modules": "all-linear", "exclude_modules": "(("}, "exclude_modules"),
    ("layers-out-of-range", {"layers_to_transform": [99]}, "layers_to_transform"),
    ("layers-negative", {"layers_to_transform": [-1]}, "layers_to_transform"),
    ("layers-string", {"layers_to_transform": "0"}, "layers_to_transform"),
    ("layers-with-regex", {"target_modules": ".*q_proj", "layers_to_transform": [0]}, "layers_to_transform"),
    ("pattern-without-layers", {"layers_pattern": "layers"}, "layers_pattern"),
    ("dora", {"use_dora": True}, "use_dora"),
    ("modules-to-save", {"modules_to_save": ["lm_head"]}, "modules_to_save"),
    ("bias-all", {"bias": "all"}, "bias"),
    ("init-pissa", {"init_lora_weights": "pissa"}, "init_lora_weights"),
    ("rank-pattern-zero", {"rank_pattern": {"q_proj": 0}}, "rank_pattern"),
    ("rank-pattern-huge", {"rank_pattern": {"q_proj": 2**40}}, "rank_pattern"),
    ("rank-pattern-bad-regex", {"rank_pattern": {"q_proj(": 4}}, "rank_pattern"),
    ("rank-pattern-not-object", {"rank_pattern": ["q_proj", 4]}, "rank_pattern"),
    ("alpha-pattern-string", {"alpha_pattern": {"q_proj": "x"}}, "alpha_pattern"),
    ("rslora-string", {"use_rslora": "yes"}, "use_rslora"),
    ("fan-in-fan-out-number", {"fan_in_fan_out": 1}, "fan_in_fan_out"),
]

TEXTS = [
    ("empty", b""),
    ("not-json", b"r: 8\n"),
    ("array", b'[{"r": 8}]'),
    ("truncated", b'{"peft_type": "LORA", "r": 8'),
    ("duplicate-key", b'{"r": 8, "r": 16}'),
    ("deep", b'{"a":' * 100 + b"0" + b"}" * 100),
    ("bad-utf8", b'{"peft_type": "LO\xc3RA"}'),
]


def cases(c):
    out = []
    model = c.fixture("llama-tiny")

    def inspect(name, path, expect):
        c.to_corpus("adapter_config", name, path)
        out.append(Case(name, [c.slimtune, "inspect", "--model", model, "--adapter", path],
                        [name + ".json", expect] if expect else [name + ".json"]))

    for name, changes, expect in SETTINGS:
        config = dict(BASE, **changes)
        inspect(name, c.write(name + ".json", json.dumps(config)), expect)
    for name, text in TEXTS:
        inspect(name, c.write(name + ".json", text), None)
    out.append(Case("missing-file", [c.slimtune, "inspect", "--model", model, "--adapter", c.path("nope.json")],
                    ["nope.json"]))
    out.append(Case("a-folder", [c.slimtune, "inspect", "--model", model, "--adapter", c.folder],
                    [c.folder]))
    # The same checks on the way to a training run.
    out.append(Case("train-layers-out-of-range",
                    [c.slimtune, "train", "--model", model, "--adapter", c.path("layers-out-of-range.json"),
                     "--tokens", c.path("layers-out-of-range.json"), "--steps", "1", "--batch", "1", "--seq", "8"],
                    ["layers-out-of-range.json", "layers_to_transform names layer 99"]))
    return out
