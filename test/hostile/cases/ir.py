"""slim IR given to `slimtune compile`: not IR, ops and types that do not verify, attributes no
kernel can run, steps the runtime could not bind or plan. Each is one edit of a valid graph
that `slimtune import` wrote."""
from .common import Case

# (name, old text, new text, occurrences to replace: 1 or 0 for all)
EDITS = [
    ("unknown-op", "slim.silu", "slim.swish", 1),
    ("unknown-dialect", "slim.embedding", "torch.embedding", 1),
    ("epsilon-zero", "epsilon 1.000000e-05", "epsilon 0.000000e+00", 1),
    ("epsilon-negative", "epsilon 1.000000e-05", "epsilon -1.000000e-05", 1),
    ("theta-negative", "theta 1.000000e+04", "theta -1.000000e+04", 1),
    ("heads-not-dividing", "heads 4 kv_heads 2", "heads 3 kv_heads 2", 1),
    ("kv-heads-zero", "heads 4 kv_heads 2", "heads 4 kv_heads 0", 1),
    ("lora-scale-beyond-fp32", "scale 2.000000e+00", "scale 1.000000e+40", 1),
    ("lora-dropout-above-one", "dropout 5.000000e-02", "dropout 1.500000e+00", 1),
    ("ignore-index-64-bit", "ignore_index -100", "ignore_index 1099511627776", 1),
    ("result-type-mismatch", "-> tensor<2x8x32xf32>", "-> tensor<2x8x31xf32>", 1),
    ("tokens-float", 'tensor<2x8xi32> {slim.input = "tokens"}', 'tensor<2x8xf32> {slim.input = "tokens"}', 1),
    ("input-unknown", 'slim.input = "targets"', 'slim.input = "labels"', 1),
    ("param-twice", '#slim.param<"lm_head.weight", frozen>', '#slim.param<"model.embed_tokens.weight", frozen>', 1),
    ("param-integer", "%arg27: tensor<32xf32>", "%arg27: tensor<32xi32>", 1),
    ("param-role-unknown", '"model.norm.weight", frozen>', '"model.norm.weight", sometimes>', 1),
    ("no-return", "    return %", "    %unused = slim.add %", 1),
    ("lr-schedule-malformed", "attributes {", 'attributes {slim.lr_schedule = {kind = "cosine"}, ', 1),
    ("adapter-config-number", "slim.adapter_config = \"", "slim.adapter_config = 3, slim.unused = \"", 1),
    ("dynamic-batch", "tensor<2x8", "tensor<?x8", 0),
    ("elements-overflow", "tensor<2x8xi32>", "tensor<4611686018427387904x8xi32>", 0),
    ("embedding-table-mismatch", "slim.embedding %arg0[%arg29] : tensor<96x32xf32>",
     "slim.embedding %arg0[%arg29] : tensor<97x32xf32>", 1),
    ("bad-utf8", "model.norm.weight", "model.norm.\xff\xfeweight", 1),
    # slim-reversible's marks and coupling, written by hand.
    ("reconstruct-on-add", "slim.add %2, %3 :", "slim.add %2, %3 {slim.reconstruct} :", 1),
    ("recompute-with-value", "slim.add %2, %3 :", "slim.add %2, %3 {slim.recompute = 1 : i64} :", 1),
    ("scaled-add-alpha-inf", "slim.add %2, %3 :", "slim.scaled_add %2, %3 alpha 0x7FF0000000000000 beta 1.0 :", 1),
    ("scaled-add-alpha-beyond-fp32", "slim.add %2, %3 :", "slim.scaled_add %2, %3 alpha 1.0e+39 beta 1.0 :", 1),
    ("reconstruct-alpha-zero", "slim.add %2, %3 :",
     "slim.scaled_add %2, %3 alpha 0.0 beta 1.0 {slim.reconstruct} :", 1),
]

# slim-reversible's options out of range, and the pass where it cannot run.
REVERSIBLE_PASSES = [
    ("reversible-variant-unknown", "slim-reversible{variant=meft9}", "variant must be meft1, meft2 or meft3"),
    ("reversible-lambda-tiny", "slim-reversible{lambda=1e-9}", "lambda must be in [1e-3, 1e3]"),
    ("reversible-beta-nan", "slim-reversible{beta=nan}", "beta must be in [1e-3, 1e3]"),
    ("reversible-layers-too-many", "slim-reversible{layers=3}", "layers=3 but the model has 2"),
    ("reversible-anchor-negative", "slim-reversible{anchor=-1}", "anchor must be >= 0"),
    ("reversible-output-unknown", "slim-reversible{output=max}", "output must be stream or mean"),
    ("reversible-bottleneck-zero", "slim-reversible{variant=meft1 bottleneck=0}", "bottleneck must be in"),
    ("reversible-after-autodiff", "slim-autodiff,slim-reversible", "runs on a forward graph"),
]

TEXTS = [
    ("empty", b""),
    ("not-ir", b"hello, compiler\n"),
    ("no-function", b"module {\n}\n"),
    ("unterminated", b"module {\n  func.func @forward(%arg0: tensor<2xf32>) {\n"),
]


def cases(c):
    out = []
    model = c.fixture("llama-tiny")
    config = c.write("lora.json", '{"peft_type": "LORA", "r": 8, "lora_alpha": 16, "lora_dropout": 0.05}')
    valid = c.path("valid.mlir")
    c.run([c.slimtune, "import", "--model", model, "--adapter", config, "--batch", "2", "--seq", "8",
           "-o", valid])
    text = open(valid, encoding="utf-8").read()

    def compile_case(name, content, *expect):
        path = c.write(name + ".mlir", content)
        c.to_corpus("slim_ir", name + ".mlir", path)
        out.append(Case(name, [c.slimtune, "compile", path, "-o", c.path(name + ".so")], [name + ".mlir", *expect]))

    for name, old, new, count in EDITS:
        if old not in text:
            raise SystemExit(f"hostile ir case {name}: {old!r} is not in the imported graph")
        edited = text.replace(old, new) if count == 0 else text.replace(old, new, count)
        compile_case(name, edited.encode("utf-8", "surrogateescape") if "\xff" not in new
                     else edited.encode("latin-1", "replace"))
    for name, content in TEXTS:
        compile_case(name, content)
    compile_case("truncated", text[: len(text) // 2].encode())
    # Two functions: the step is one.
    compile_case("two-functions", (text.rstrip().rstrip("}") +
                                   "  func.func @other() {\n    return\n  }\n}\n").encode())
    # The graph is fine; the pipeline is not.
    out.append(Case("pass-pipeline-garbage", [c.slimtune, "compile", valid, "--pass-pipeline", "builtin.module(nope(",
                                              "-o", c.path("x.so")], ["invalid pass pipeline"]))
    # MLIR's option-list parser never returns on an unclosed bracket or quote in a list option:
    # slimtune refuses such text first.
    for name, value in (("paren", "a(b"), ("square", "a[b"), ("brace", "a{b"), ("quote", "'a"),
                        ("dquote", '"a'), ("quoted-paren", "'a(b'")):
        out.append(Case(f"passes-unclosed-{name}", [c.slimtune, "compile", valid, "--passes",
                                                    f"slim-autodiff,slim-compress-stashes{{producers={value}}}",
                                                    "-o", c.path("x.so")], ["invalid pass list"]))
        out.append(Case(f"pass-pipeline-unclosed-{name}",
                        [c.slimtune, "compile", valid, "--pass-pipeline",
                         f"builtin.module(func.func(slim-autodiff,slim-compress-stashes{{sites={value}}}))",
                         "-o", c.path("x.so")], ["invalid pass pipeline"]))
    for name, passes, message in REVERSIBLE_PASSES:
        out.append(Case(name, [c.slimtune, "compile", valid, "--passes", passes, "-o", c.path("x.so")],
                        [message]))
    out.append(Case("passes-unknown", [c.slimtune, "compile", valid, "--passes", "slim-autodiff,slim-nosuch",
                                       "-o", c.path("x.so")], ["slim-nosuch"]))
    out.append(Case("output-unwritable", [c.slimtune, "compile", valid, "-o", "/proc/slimtune/step.so"],
                    ["/proc/slimtune/step.so"]))
    out.append(Case("output-is-folder", [c.slimtune, "compile", valid, "-o", c.folder], [c.folder]))
    return out
