"""Command-line arguments: missing, malformed, out of range or contradicting each other, for
every subcommand; the error names the option."""

from .common import Case, token_ids

# train: (name, options replaced or added to a valid command line, what the error names)
TRAIN = [
    ("steps-zero", {"--steps": "0"}, "--steps"),
    ("steps-text", {"--steps": "many"}, "--steps"),
    ("steps-overflow", {"--steps": "99999999999999999999"}, "--steps"),
    ("batch-negative", {"--batch": "-2"}, "--batch"),
    ("batch-float", {"--batch": "2.5"}, "--batch"),
    ("seq-zero", {"--seq": "0"}, "--seq"),
    ("seq-past-positions", {"--seq": "65"}, "--seq"),
    ("seed-negative", {"--seed": "-1"}, "--seed"),
    ("seed-text", {"--seed": "abc"}, "--seed"),
    ("lr-negative", {"--lr": "-0.001"}, "--lr"),
    ("lr-nan", {"--lr": "nan"}, "--lr"),
    ("lr-inf", {"--lr": "inf"}, "--lr"),
    ("lr-huge", {"--lr": "1e9"}, "lr"),
    ("lr-zero", {"--lr": "0"}, "lr"),
    ("lr-text", {"--lr": "fast"}, "--lr"),
    ("schedule-unknown", {"--schedule": "linear"}, "--schedule"),
    ("warmup-negative", {"--warmup-steps": "-3"}, "--warmup-steps"),
    ("warmup-text", {"--warmup-steps": "x"}, "--warmup-steps"),
    ("warmup-past-steps", {"--schedule": "cosine", "--warmup-steps": "10"}, "warmup-steps"),
    ("weight-decay-negative", {"--weight-decay": "-1"}, "--weight-decay"),
    ("max-grad-norm-text", {"--max-grad-norm": "x"}, "--max-grad-norm"),
    ("val-fraction-one", {"--val-fraction": "1"}, "--val-fraction"),
    ("val-fraction-negative", {"--val-fraction": "-0.1"}, "--val-fraction"),
    ("eval-every-negative", {"--eval-every": "-1"}, "--eval-every"),
    ("eval-batches-text", {"--eval-batches": "all"}, "--eval-batches"),
    ("save-every-without-out", {"--save-every": "1"}, "--save-every"),
    ("keep-zero", {"--keep-checkpoints": "0"}, "--keep-checkpoints"),
    ("budget-too-small", {"--memory-budget": "10B"}, "memory"),
    ("budget-text", {"--memory-budget": "lots"}, "--memory-budget"),
    ("pipeline-unknown", {"--pipeline": "turbo"}, "turbo"),
    ("pipeline-and-passes", {"--pipeline": "lean", "--passes": "slim-autodiff"}, "--pipeline"),
    ("passes-with-lr", {"--passes": "slim-autodiff,slim-optimizer", "--lr": "1e-3"}, "--passes"),
    ("passes-unknown", {"--passes": "slim-autodiff,slim-nothing"}, "slim-nothing"),
    ("passes-without-optimizer", {"--passes": "slim-autodiff"}, "optimizer"),
    ("pass-pipeline-garbage", {"--pass-pipeline": "builtin.module(("}, "pass pipeline"),
    ("data-and-tokens", {"--data": "corpus.txt"}, "--data"),
    ("no-data", {"--tokens": None}, "--data"),
    ("no-model", {"--model": None}, "--model"),
    ("no-adapter", {"--adapter": None}, "--adapter"),
    ("no-steps", {"--steps": None}, "--steps"),
    ("unknown-option", {"--epochs": "3"}, "epochs"),
    ("out-is-a-file", {"--out": "FILE"}, "FILE"),
    ("out-unwritable", {"--out": "/proc/slimtune-run"}, "/proc/slimtune-run"),
    ("log-unwritable", {"--log": "/proc/slimtune.jsonl"}, "/proc/slimtune.jsonl"),
    ("resume-nothing", {"--resume": "NOWHERE"}, "NOWHERE"),
]


def cases(c):
    out = []
    model = c.fixture("llama-tiny")
    adapter = c.write("lora.json", '{"peft_type": "LORA", "r": 4, "lora_alpha": 8}')
    tokens = c.write("tokens.u32", token_ids(2000))
    a_file = c.write("a-file", "I am not a folder\n")
    valid = {"--model": model, "--adapter": adapter, "--tokens": tokens, "--steps": "3", "--batch": "2",
             "--seq": "16"}
    placeholders = {"FILE": a_file, "NOWHERE": c.path("no-such-run"), "corpus.txt": a_file}
    for name, changes, expect in TRAIN:
        options = dict(valid)
        expect = placeholders.get(expect, expect)
        for key, value in changes.items():
            value = placeholders.get(value, value)
            if value is None:
                options.pop(key)
            else:
                options[key] = value
        argv = [c.slimtune, "train"]
        for key, value in options.items():
            argv += [key, value]
        out.append(Case("train-" + name, argv, [expect]))

    # The other subcommands.
    mlir = c.path("step.mlir")
    c.run([c.slimtune, "import", "--model", model, "--adapter", adapter, "--batch", "2", "--seq", "8", "-o", mlir])
    others = [
        ("no-subcommand", [], "no command"),
        ("unknown-subcommand", ["finetune"], "finetune"),
        ("import-no-model", ["import", "--batch", "2", "--seq", "8"], "--model"),
        ("import-batch-zero", ["import", "--model", model, "--batch", "0", "--seq", "8"], "--batch"),
        ("import-seq-text", ["import", "--model", model, "--batch", "2", "--seq", "long"], "--seq"),
        ("import-output-unwritable", ["import", "--model", model, "--batch", "2", "--seq", "8", "-o",
                                      "/proc/x/step.mlir"], "/proc/x/step.mlir"),
        ("inspect-no-model", ["inspect"], "--model"),
        ("compile-no-input", ["compile", "-o", c.path("x.so")], "input"),
        ("compile-no-output", ["compile", mlir], "-o"),
        ("compile-missing-input", ["compile", c.path("nothing.mlir"), "-o", c.path("x.so")], "nothing.mlir"),
        ("compile-target-unknown", ["compile", mlir, "--target", "tpu", "-o", c.path("x.so")], "--target"),
        ("compile-target-case", ["compile", mlir, "--target", "CUDA", "-o", c.path("x.so")], "--target"),
        ("compile-cosine-without-steps", ["compile", mlir, "--schedule", "cosine", "-o", c.path("x.so")], "--steps"),
        ("compile-steps-zero", ["compile", mlir, "--steps", "0", "-o", c.path("x.so")], "--steps"),
        ("compile-print-unknown-pass", ["compile", mlir, "--print-ir-after", "slim-nothing"], "slim-nothing"),
        ("compile-print-both", ["compile", mlir, "--print-ir-after-all", "--print-ir-after", "slim-autodiff"],
         "--print-ir-after"),
        ("compile-budget-too-small", ["compile", mlir, "--memory-budget", "1KiB", "-o", c.path("x.so")], "1"),
        ("compile-keep-gradients-with-passes", ["compile", mlir, "--keep-gradients", "--passes",
                                                "slim-autodiff", "-o", c.path("x.so")], "--passes"),
        ("export-no-checkpoint", ["export", "--format", "peft", "-o", c.path("e")], "--checkpoint"),
        ("export-format-unknown", ["export", "--checkpoint", c.folder, "--format", "onnx", "-o", c.path("e")],
         "--format"),
        ("export-missing-checkpoint", ["export", "--checkpoint", c.path("no-run"), "--format", "peft", "-o",
                                       c.path("e")], "no-run"),
    ]
    for name, args, expect in others:
        out.append(Case(name, [c.slimtune] + args, [expect]))
    return out
