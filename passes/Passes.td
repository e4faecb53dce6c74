//===- Passes.td - slim -> slim passes ---------------------------------------------------===//
//
// Every pass slimtune runs on the slim dialect. Each states whether it is exact (same numbers
// up to floating-point reassociation) or approximate (with its error bound).
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_PASSES_TD
#define SLIMTUNE_PASSES_TD

include "mlir/Pass/PassBase.td"

def SlimInferShapes : Pass<"slim-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Give a graph's batch and sequence dimensions and infer every shape from them";
  let description = [{
    A graph may leave its batch and sequence dimensions open (`?`) so that one file serves
    every batch shape. This pass sets them on the `slim.input` arguments from the `batch`
    and `seq` options (a dimension already static must agree), then recomputes every slim
    op's result type from its operands with the op's shape rule, and finally the function's
    result types. Checks that only static shapes can make (a sequence longer than the
    position table, say) run here and fail the pass with a diagnostic on the op.

    Exact: only types change.

    Before (`--slim-infer-shapes="batch=2 seq=16"`):
    ```mlir
    func.func @f(%w: tensor<512x64xf32> {slim.param = #slim.param<"wte", frozen>},
                 %ids: tensor<?x?xi32> {slim.input = "tokens"}) -> tensor<?x?x64xf32> {
      %x = slim.embedding %w[%ids] : tensor<512x64xf32>, tensor<?x?xi32> -> tensor<?x?x64xf32>
      return %x : tensor<?x?x64xf32>
    }
    ```
    After:
    ```mlir
    func.func @f(%w: tensor<512x64xf32> {slim.param = #slim.param<"wte", frozen>},
                 %ids: tensor<2x16xi32> {slim.input = "tokens"}) -> tensor<2x16x64xf32> {
      %x = slim.embedding %w[%ids] : tensor<512x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
      return %x : tensor<2x16x64xf32>
    }
    ```
  }];
  let options = [
    Option<"batch", "batch", "int64_t", /*default=*/"-1",
           "Batch size for the inputs' first dimension (-1: leave it as written)">,
    Option<"seq", "seq", "int64_t", /*default=*/"-1",
           "Sequence length for the inputs' second dimension (-1: leave it as written)">
  ];
  let dependentDialects = [];
}

def SlimAutodiff : Pass<"slim-autodiff", "::mlir::func::FuncOp"> {
  let summary = "Add the backward: return the loss and the gradient of every trainable parameter";
  let description = [{
    Reverse-mode differentiation of a forward graph whose result is a `slim.cross_entropy`.
    Gradients are computed for trainable parameters only (`#slim.param<..., trainable>`) and
    returned after the loss, each result marked `slim.grad = "<parameter>"`.

    What the backward keeps from the forward is explicit and minimal: a forward value the
    backward reads goes through one `slim.stash` / `slim.unstash` pair, however many backward
    ops read it; a frozen linear's backward (dx = dy·W) keeps nothing; attention keeps q, k, v,
    its output and per-row logsumexp (`slim.attention_with_lse`); the loss and its gradient
    are fused (`slim.cross_entropy_with_grad`), so the logits are not kept.

    Exact: the backward ops compute the true gradient in fp32.

    Before:
    ```mlir
    %h = slim.rms_norm %x scale %g epsilon 1.0e-5 : ...
    %y0 = slim.linear %h, %w : ...
    %d = slim.lora %h, %a, %b scale 2.0 : ...
    %y = slim.add %y0, %d : ...
    ...
    %loss = slim.cross_entropy %logits, %targets ignore_index -100 : ...
    return %loss : tensor<f32>
    ```
    After (the adapter's input is stashed once; the frozen linear keeps nothing):
    ```mlir
    %h = slim.rms_norm %x scale %g epsilon 1.0e-5 : ...
    %s = slim.stash %h : tensor<2x16x64xf32>
    %y0 = slim.linear %h, %w : ...
    %d = slim.lora %h, %a, %b scale 2.0 : ...
    ...
    %loss, %dlogits = slim.cross_entropy_with_grad %logits, %targets ignore_index -100 : ...
    ...
    %h2 = slim.unstash %s : !slim.stash<tensor<2x16x64xf32>>
    %dh, %da, %db = slim.lora_grad %dy, %h2, %a, %b scale 2.0 : ...
    %dh0 = slim.linear %dy, %w layout in_out : ...
    return %loss, %da, %db : ...
    ```

    Reversible layers (slim-reversible): a value that is the scaled operand of a coupling
    marked `slim.reconstruct` is rebuilt from the coupling's result
    (`ScaledAddOp::reconstructLhs`), and an op marked `slim.recompute` is run again on saved
    operands, instead of either being stashed. `measure-reconstruction` also stashes every
    rebuilt value and returns, per value in the order the backward rebuilds them (top layer
    first), `reconstruction.<i>.error` = ‖rebuilt − kept‖ and `reconstruction.<i>.norm` =
    ‖kept‖: the error the backward works with, for tests and docs/techniques.md.
  }];
  let options = [
    Option<"measureReconstruction", "measure-reconstruction", "bool", /*default=*/"false",
           "Also keep each value a reversible segment rebuilds and return the rebuilding error">
  ];
}

def SlimRemat : Pass<"slim-remat", "::mlir::func::FuncOp"> {
  let summary = "Rematerialization: recompute chosen forward values in the backward instead of stashing them";
  let description = [{
    Runs on the forward graph, before `slim-autodiff`, and only marks ops `slim.recompute`: the
    backward then runs each marked op again, on what it has saved, at the first backward use
    of its result, instead of stashing the result. Exact: the recomputed values are the
    forward's, bit for bit (the same kernels on the same inputs; dropout masks regenerate from
    the seed and step).

    The candidates, in the order of a cost model (recomputed FLOPs per stashed byte saved,
    cheapest first; ties in graph order):
    - single elementwise ops whose result the backward reads and whose operands it reads
      anyway (the gated MLP's SiLU and product, GPT-2's GELU): their stash goes for a few
      FLOPs per element;
    - whole decoder layers (found by their residual stream): every op of the layer is
      recomputed from the stream entering it, which alone is stashed (marked
      `slim.checkpoint`: `slim-compress-stashes` keeps it exact, as a layer's recomputation
      would spread a code's error through every value of the layer). A layer costs its
      forward FLOPs once more; lower layers come first at equal cost, as their backward runs
      last, when the stashes of the layers above are gone and the recomputed layer's values
      add least to the peak.

    `count` takes that many candidates (-1: all). The pass cannot know the plan's peak (the
    backward and the plan do not exist yet); `slimtune compile/train --memory-budget` compile
    the step to its plan with increasing counts and keep the smallest that fits.
    The function gets `slim.remat = {candidates = M, chosen = [names]}` for the memory report.
  }];
  let options = [
    Option<"count", "count", "int64_t", /*default=*/"-1",
           "How many candidates to recompute, cheapest first (-1: all)">
  ];
}

def SlimOptimizer : Pass<"slim-optimizer", "::mlir::func::FuncOp"> {
  let summary = "Apply the gradients with AdamW: moments, learning rate input, gradient clipping";
  let description = [{
    Consumes the gradients slim-autodiff returns and updates their parameters in the step:
    PyTorch's AdamW (decoupled weight decay, bias correction) with fp32 moments, new arguments
    marked `slim.state = "<param>.exp_avg"` / `"<param>.exp_avg_sq"`; a new
    `slim.input = "step"` argument (the number of steps already taken, for bias correction
    and dropout masks) and a new `slim.input = "lr"` argument, the learning rate of this step,
    which the runtime fills at every step; gradients scaled to a global norm of at most
    `max-grad-norm` (0 disables clipping).

    The learning rate is the caller's to choose at run time. The schedule the options
    describe (`lr`, `schedule`: constant, or linear warmup then cosine decay to `min-lr` at
    `total-steps`) is recorded on the function as `slim.lr_schedule`: the runtime follows it
    when a caller gives no rate of its own.

    The step then returns the loss and the gradient norm (`slim.output`), with
    `keep-gradients` every gradient (`slim.grad`, read back as "<param>.grad"), then the
    new parameters and moments, each marked `slim.updates = <argument index>`: the step
    writes them in place.

    Before:
    ```mlir
    return %loss, %da : tensor<f32>, tensor<8x64xf32>   // {slim.output = "loss"}, {slim.grad = "A"}
    ```
    After:
    ```mlir
    // %step: {slim.input = "step"}, %lr: {slim.input = "lr"}
    // func attribute: slim.lr_schedule = {kind = "constant", lr = 2.0e-04, ...}
    %ss = slim.global_norm_squared %da : tensor<8x64xf32> -> tensor<f64>
    %norm = slim.sqrt %ss : tensor<f64> -> tensor<f32>
    %a2, %m2, %v2 = slim.adamw %a, %da, %m, %v, %lr, %step, %ss beta1 ... : ...
    return %loss, %norm, %a2, %m2, %v2 : ...   // slim.updates = index of %a, %m, %v
    ```
  }];
  let options = [
    Option<"learningRate", "lr", "double", /*default=*/"2e-4", "Peak learning rate">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "AdamW beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "AdamW beta2">,
    Option<"epsilon", "eps", "double", /*default=*/"1e-8", "AdamW epsilon">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0", "Decoupled weight decay">,
    Option<"maxGradNorm", "max-grad-norm", "double", /*default=*/"1.0",
           "Clip gradients to this global norm (0: no clipping)">,
    Option<"schedule", "schedule", "std::string", /*default=*/"\"constant\"",
           "Learning-rate schedule: constant or cosine">,
    Option<"warmupSteps", "warmup-steps", "int64_t", /*default=*/"0",
           "Linear warmup steps of the cosine schedule">,
    Option<"totalSteps", "total-steps", "int64_t", /*default=*/"0",
           "Steps at which the cosine schedule reaches min-lr">,
    Option<"minLearningRate", "min-lr", "double", /*default=*/"0.0",
           "Learning rate at the end of the cosine schedule">,
    Option<"keepGradients", "keep-gradients", "bool", /*default=*/"false",
           "Also return every gradient, for trainers that read them after the step">
  ];
}

def SlimPlanMemory : Pass<"slim-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Give every intermediate tensor and workspace an offset in one arena";
  let description = [{
    Static memory planning of a training step, so that the peak is a number known before
    anything runs and the runtime allocates exactly it. Values sharing a buffer (a stash and
    its unstash; a result computed in place of an operand that dies there, where the op's
    kernel allows it: add, mul, rope, scale_shift, merge_lora, the loss gradient over the
    logits) form one storage; a storage is live from
    its first definition to its last use in op order; storages are placed greedily by size,
    each in the smallest gap left by the storages live at the same time. Arguments, returned
    values and in-place updates of arguments live outside the arena.

    Before planning, a cheap reordering shortens lifetimes: an op whose result is first read
    much later moves down to just before that reader when no operand then lives longer (every
    operand is an argument or is read again at or after the new place). Ops are pure apart
    from slim.adamw (in-place updates of its arguments): nothing moves across one.

    Exact: the same ops compute the same values; only their order and attributes change.
    Must run last: offsets depend on the op order.

    After:
    ```mlir
    %y = slim.silu %x {slim.offsets = array<i64: 4096>} : tensor<2x16x128xf32>
    %d = slim.lora %h, %a, %b scale 2.0 {slim.offsets = array<i64: 0>, slim.workspace = array<i64: 8192, 1024>} : ...
    func.func @forward(...) attributes {slim.arena_bytes = 81920 : i64}
    ```
  }];
  let options = [
    Option<"reorder", "reorder", "bool", /*default=*/"true",
           "Sink ops to just before their first reader where that shortens lifetimes">,
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "The kernel backend whose workspace sizes to plan (KernelTarget.h)">,
  ];
}

def SlimCompressStashes : Pass<"slim-compress-stashes", "::mlir::func::FuncOp"> {
  let summary = "Keep stashed activations as 8-bit (or 4/2-bit) codes per group (Mesa)";
  let description = [{
    Mesa (arXiv 2111.11124, docs/techniques.md, Mesa). Every qualifying `slim.stash` gets a
    `#slim.quant` encoding: per group of `group` consecutive elements of a row (the row's
    last group shorter when `group` does not divide its width), an fp32 step and
    minimum and one `bits`-wide code per element, q = clamp(floor((x − min)/step + u)) with
    u = 0.5 (nearest) or a counter-based uniform draw (stochastic; reproducible, and a resumed
    run draws the same). Values are clamped to the codes' range (Mesa's code wraps). The
    forward is exact; the backward reads decoded values. Run after slim-autodiff.

    Qualify: float stashes of rank >= 1 and at least `min-bytes`, not already encoded
    (Approx-BP's flags are integers and stay), and, when `producers` lists ops, only values
    one of them produced (Mesa's choice of sites, e.g.
    `producers=slim.gelu,slim.attention_with_lse`), and, when `sites` lists glob
    patterns, only stashes whose site matches one (`slim.stash`'s getSite(): the producing
    op's location name and kind, e.g. `model.layers.*.self_attn.attention:attention_with_lse.0`).
    Others are left exact, and so is every stream of a reversible segment (a stash of a
    `slim.scaled_add`: the backward rebuilds the layers below from it, multiplying its error
    by 1/λ or 1/β per layer).

    Approximate: with nearest rounding each value is off by at most half a step,
    (max − min)/(2·(2^bits − 1)) of its group.

    `range=ema` is Mesa's: each stash site keeps a moving minimum and maximum per channel
    group (over all rows), r ← 0.9·r + 0.1·r_batch (the batch's own at step 0), in a new
    step argument `stash<site>.range` ([channels / group, 2]) that the runtime checkpoints
    with the optimizer state. Values outside the moving range are clamped, so its error is
    larger than `batch`'s (which never clamps); it is there to compare with the paper's.

    After (8 bits, groups of 64):
    ```mlir
    %h = slim.stash %x encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = batch>) : tensor<4x256x576xf32>
    ```
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"8", "Bits per code: 2, 4 or 8">,
    Option<"group", "group", "int64_t", /*default=*/"64",
           "Consecutive elements sharing a step and minimum">,
    Option<"rounding", "rounding", "std::string", /*default=*/"\"nearest\"",
           "nearest or stochastic">,
    Option<"range", "range", "std::string", /*default=*/"\"batch\"",
           "batch (each group's current range) or ema (a moving range per site)">,
    Option<"decay", "decay", "double", /*default=*/"0.9",
           "With range=ema: the old range's weight in the moving average, in [0, 1)">,
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"65536",
           "Stashes smaller than this stay exact">,
    ListOption<"producers", "producers", "std::string",
               "Only stashes of values these ops produce, e.g. slim.silu,slim.mul (default: "
               "any op)">,
    ListOption<"sites", "sites", "std::string",
               "Only stashes whose site (e.g. model.layers.0.mlp:mul) matches one of these "
               "glob patterns (default: every site)">,
  ];
}

def SlimApproxActivationGrad : Pass<"slim-approx-activation-grad", "::mlir::func::FuncOp"> {
  let summary = "Backward of SiLU/GELU from 2-bit flags instead of the stashed input (Approx-BP)";
  let description = [{
    Approx-BP (arXiv 2406.16282, docs/techniques.md, Approx-BP). The forward stays exact; the derivative of
    SiLU (GELU) is replaced by that of ReSiLU2 (ReGELU2), a 4-level step function, so the
    backward needs only each input element's segment: 2 bits instead of 32. For every
    `slim.silu_grad` / `slim.gelu_grad` whose input is read through a stash, the input's
    stash becomes a stash of `slim.activation_flags` (computed where the input was stashed)
    and the gradient becomes `slim.activation_grad_from_flags`. Run after slim-autodiff.

    Left exact, with a remark: an activation whose input is also kept for another backward
    op (the flags would add memory and save nothing), or whose stash is already encoded.

    Approximate: measured on U(−8, 8) inputs, the derivative is off by at most 0.55 per unit
    of dy and 0.04–0.06 on average; the cosine similarity of dx with the exact one is
    0.986 (SiLU) / 0.990 (GELU). GELU's tanh form gets ReGELU2 as well.

    Before:
    ```mlir
    %h = slim.stash %gate : tensor<2x16x128xf32>
    ...
    %g = slim.unstash %h : !slim.stash<tensor<2x16x128xf32>>
    %dx = slim.silu_grad %dy, %g : tensor<2x16x128xf32>
    ```
    After:
    ```mlir
    %f = slim.activation_flags %gate kind resilu2 : tensor<2x16x128xf32> -> tensor<1024xi8>
    %hf = slim.stash %f : tensor<1024xi8>
    ...
    %f2 = slim.unstash %hf : !slim.stash<tensor<1024xi8>>
    %dx = slim.activation_grad_from_flags %dy, %f2 kind resilu2 : (tensor<2x16x128xf32>, tensor<1024xi8>) -> tensor<2x16x128xf32>
    ```

    `sites` limits it to the activations whose input's stash site matches one of the glob
    patterns (the site of a stash: `slim.stash`'s getSite(), e.g.
    `model.layers.*.mlp.gate_proj:add`).
  }];
  let options = [
    ListOption<"sites", "sites", "std::string",
               "Only activations whose input's stash site matches one of these glob patterns "
               "(default: every site)">,
  ];
}

def SlimReversible : Pass<"slim-reversible", "::mlir::func::FuncOp"> {
  let summary = "MEFT's reversible layers: the top K decoder layers as two coupled streams whose backward rebuilds its inputs";
  let description = [{
    MEFT (arXiv 2306.00477, docs/techniques.md#reversible-layers-meft), on a forward graph:
    run before slim-autodiff. The top `layers` decoder layers (all by default) become MEFT's
    two-stream reversible form; both streams start as the residual stream entering the first
    of them, and the segment's output is their mean:

        y1 = λ·x1 + F(x2),   y2 = β·x2 + G(y1)

    - `meft1`: F = the pretrained layer (its attention and MLP blocks with their residuals
      and LoRA adapters), G = a bottleneck adapter; λ = 0.1, β = 1; the streams swap after
      each layer (the next layer's x1, x2 are y2, y1).
    - `meft2`: F = a bottleneck adapter, G = the layer; λ = 1, β = 0.1; swapped likewise.
    - `meft3`: F = the attention block, G = the MLP block (each with its residual and
      LoRA adapters); λ = β = 0.1; no swap.

    A bottleneck adapter is down (C → `bottleneck`, bias), the model's activation, up
    (`bottleneck` → C, bias): new trainable parameters
    `base_model.model.<layer>.meft_adapter.{down,up}.{weight,bias}`, initialised as MEFT
    does (weights N(0, 0.02²), biases 0) by the runtime.

    The couplings are `slim.scaled_add` ops marked `slim.reconstruct` and every op of F and G
    is marked `slim.recompute`: slim-autodiff then keeps only the segment's two output
    streams, rebuilds each layer's inputs from its outputs (x2 = (y2 − G(y1))/β, then
    x1 = (y1 − F(x2))/λ) and runs F and G again for their backward; LoRA dropout masks are
    regenerated from their seed and step, so the recomputed forward is the forward. With
    `reconstruct=false` nothing is marked: the same model, its activations stashed (the
    reference the reconstruction is measured against).

    Approximate in two ways, both measured (docs/techniques.md): the model is not the
    pretrained one (λ·x1, β·x2 and the mean of the streams change the starting point), and
    the rebuilt inputs carry the forward's rounding multiplied by 1/λ, 1/β per layer.

    Before (one LLaMA layer, abridged):
    ```mlir
    %u = slim.add %x, %attn : tensor<2x16x64xf32>
    %out = slim.add %u, %mlp : tensor<2x16x64xf32>
    ```
    After (`variant=meft3`):
    ```mlir
    %f = slim.add %x, %attn {slim.recompute} : tensor<2x16x64xf32>
    %y1 = slim.scaled_add %x, %f alpha 1.000000e-01 beta 1.000000e+00 {slim.reconstruct} : tensor<2x16x64xf32>
    %g = slim.add %y1, %mlp {slim.recompute} : tensor<2x16x64xf32>
    %y2 = slim.scaled_add %x, %g alpha 1.000000e-01 beta 1.000000e+00 {slim.reconstruct} : tensor<2x16x64xf32>
    %out = slim.scaled_add %y1, %y2 alpha 5.000000e-01 beta 5.000000e-01 : tensor<2x16x64xf32>
    ```
  }];
  let options = [
    Option<"variant", "variant", "std::string", /*default=*/"\"meft3\"",
           "meft1, meft2 or meft3">,
    Option<"lambda", "lambda", "double", /*default=*/"0.0",
           "λ, the scale of x1 (0: the variant's own)">,
    Option<"beta", "beta", "double", /*default=*/"0.0",
           "β, the scale of x2 (0: the variant's own)">,
    Option<"layers", "layers", "int64_t", /*default=*/"-1",
           "How many of the top decoder layers become reversible (-1: all)">,
    Option<"bottleneck", "bottleneck", "int64_t", /*default=*/"8",
           "The bottleneck adapters' width (meft1, meft2)">,
    Option<"output", "output", "std::string", /*default=*/"\"stream\"",
           "What the segment hands on: stream (the stream its last block wrote) or mean (MEFT's (y1 + y2) / 2)">,
    Option<"anchor", "anchor", "int64_t", /*default=*/"0",
           "Keep the streams entering every anchor-th layer (from the top) instead of rebuilding them: "
           "the rebuilt error restarts there (0: never)">,
    Option<"reconstruct", "reconstruct", "bool", /*default=*/"true",
           "Rebuild the segment's activations in the backward (false: stash them)">
  ];
}

def SlimCeLora : Pass<"slim-ce-lora", "::mlir::func::FuncOp"> {
  let summary = "CE-LoRA: the input gradient through an adapted layer's frozen weight from its SVD pair and k features of the residual";
  let description = [{
    CE-LoRA (arXiv 2502.01378, docs/techniques.md#ce-lora), on a forward graph: run before
    slim-autodiff. Each adapted layer `add(linear(x, W), lora(x, A, B))` whose projection has
    a keep ratio below 1 in `keep` gets a `slim.sampled_linear` in place of its frozen
    linear: the same forward, exactly, and CE-LoRA's input gradient, with the rank-r₀ SVD
    W = L·R + W_res:

        dx = (dy·L)·R + dy[:, S]·W_res[S] = dy[:, S]·W[S] + (dy[:, ~S]·L[~S])·R

    The trainable LoRA and the rank-r₀ part get exact gradients (double LoRA); only the
    residual's part is approximated, by the k = ⌈out · keep⌉ output features S with the
    largest ‖dy[:, j]‖·‖W_res,j‖, chosen from the step's own gradient every `refresh`
    optimizer steps (the first step exact) and kept in a new i32 state argument
    `<W>.ce_lora_columns`. The runtime computes the SVD when it binds the model: new frozen
    arguments `<W>.svd_left`, `<W>.svd_right` (the pair, of W as stored) and
    `<W>.svd_residual_row_norms` (or `_column_norms` for `layout in_out`). Nothing of x is
    stashed for the frozen path.

    A layer whose input gets no gradient (the first layer's, when nothing below it trains)
    is left alone: there is nothing to approximate. `keep` lists `name=ratio` pairs; a layer
    takes the ratio of the entry its Hugging Face module name (from its adapter's PEFT name)
    ends with (`v_proj` matches
    `model.layers.3.self_attn.v_proj`); ratio 1 or no entry: exact, untouched. The default
    is the published one: v, o 0.55; up, down 0.65; q, k, gate exact. `rank` 0 takes each
    adapter's own rank r for r₀. `layers` = K rewrites the top K decoder layers only (-1:
    all).

    Before:
    ```mlir
    %f = slim.linear %x, %w : (tensor<2x16x64xf32>, tensor<128x64xf32>) -> tensor<2x16x128xf32>
    %d = slim.lora %x, %a, %b scale 2.0 : (...) -> tensor<2x16x128xf32>
    %y = slim.add %f, %d : tensor<2x16x128xf32>
    ```
    After (keep 0.55, r₀ = 8):
    ```mlir
    %f = slim.sampled_linear %x, %w, %left, %right, %norms columns %cols refresh 200 : (tensor<2x16x64xf32>, tensor<128x64xf32>, tensor<128x8xf32>, tensor<8x64xf32>, tensor<128xf32>, tensor<71xi32>) -> tensor<2x16x128xf32>
    %d = slim.lora %x, %a, %b scale 2.0 : (...) -> tensor<2x16x128xf32>
    %y = slim.add %f, %d : tensor<2x16x128xf32>
    ```
  }];
  let options = [
    Option<"keep", "keep", "std::string",
           /*default=*/"\"v_proj=0.55,o_proj=0.55,up_proj=0.65,down_proj=0.65\"",
           "Keep ratios per projection: name=ratio,... (ratio in (0, 1]; 1: exact)">,
    Option<"rank", "rank", "int64_t", /*default=*/"0",
           "The SVD rank r0 (0: the layer's adapter rank)">,
    Option<"refresh", "refresh", "int64_t", /*default=*/"200",
           "Optimizer steps between choices of the kept columns">,
    Option<"layers", "layers", "int64_t", /*default=*/"-1",
           "How many of the top decoder layers to rewrite (-1: all)">,
  ];
}

def SlimLoraOrder : Pass<"slim-lora-order", "::mlir::func::FuncOp"> {
  let summary = "RunLoRA: the cheapest association order of each LoRA layer's products, from the static shapes";
  let description = [{
    RunLoRA (arXiv 2312.03415, docs/techniques.md#lora-matmul-order-runlora), on a training step:
    run after slim-autodiff. For every adapted layer `add(linear(x, W), lora(x, A, B))`
    without dropout and with an fp32 weight, with N tokens, in, out and rank r:

    - forward: `linear(x, merge_lora(W, A, B))` when N·(in + out) > f·in·out (the merge
      costs out·r·in multiply-adds, the two rank-r products N·r·(in + out));
    - input gradient: `linear(dy, merge_lora(W, A, B))` in place of the frozen product plus
      lora_grad's du·A when N > f·out (du = s·dy·B is computed for dA anyway); lora_grad
      becomes `slim.lora_weight_grad`. Where the input needs no gradient, lora_grad's dx is
      dropped whatever the shapes.

    f is `merge-factor`, by default the kernel target's (`target`): RunLoRA's FLOP rule is
    f = 1, but a merge also streams the whole weight twice; on the CPU, measured, merging pays
    at f = 4 (cuda: 1, RunLoRA's, not measured here).

    Exact: the same sums in another order, equal to fp32 rounding. Only x is kept for the
    backward; a merged weight is a transient buffer, recomputed where the backward needs it.

    Before (N = 256 tokens, in = out = 64, f = 1):
    ```mlir
    %y0 = slim.linear %x, %w : (tensor<4x64x64xf32>, tensor<64x64xf32>) -> tensor<4x64x64xf32>
    %d = slim.lora %x, %a, %b scale 2.0 : (...) -> tensor<4x64x64xf32>
    %y = slim.add %y0, %d : tensor<4x64x64xf32>
    ...
    %dx0 = slim.linear %dy, %w layout in_out : ...
    %dxa, %da, %db = slim.lora_grad %dy, %xs, %a, %b scale 2.0 : ...
    %dx = slim.add %dx0, %dxa : tensor<4x64x64xf32>
    ```
    After:
    ```mlir
    %m = slim.merge_lora %w, %a, %b scale 2.0 : ...
    %y = slim.linear %x, %m : ...
    ...
    %m2 = slim.merge_lora %w, %a, %b scale 2.0 : ...
    %dx = slim.linear %dy, %m2 layout in_out : ...
    %da, %db = slim.lora_weight_grad %dy, %xs, %a, %b scale 2.0 : ...
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "The kernel target whose merge factor applies (cpu, cuda)">,
    Option<"mergeFactor", "merge-factor", "double", /*default=*/"0.0",
           "Merge where the products replaced cost this many times the merge (0: the target's)">,
  ];
}

def SlimShareNormStash : Pass<"slim-share-norm-stash", "::mlir::func::FuncOp"> {
  let summary = "Norms whose backward reads their output and rstd, shared with the consumers' stash (MS-BP)";
  let description = [{
    Memory-sharing backprop (arXiv 2406.16282, docs/techniques.md, MS-BP), on a forward graph: run
    before slim-autodiff. A `slim.rms_norm` / `slim.layer_norm` becomes `slim.normalize`
    (z and rstd, one fp32 per row) followed by `slim.scale_shift` with its γ and β. Then
    slim-autodiff differentiates the norm from z and rstd (`slim.normalize_grad`), so the
    norm's input is no longer kept for the backward, and it keeps z, not the norm's output,
    for the consumers: their backward recomputes z·γ + β from z (one pass over the rows).
    One stash (z) serves the norm and every consumer, where there used to be two (the input
    for the norm, the output for the consumers). In a LLaMA layer that removes both residual
    streams' stashes: 2·rows·C floats per layer.

    Exact: the forward is bit for bit the fused norm's; gradients differ only by rounding
    (dx from fp32 z and rstd instead of x). The adapters and their export are untouched: the
    affine part is recomputed rather than folded into the consumers' weights (the published
    code folds γ into W and A, which changes what the adapter parameters mean).

    Left alone, with a remark: a norm whose input needs no gradient (nothing of it is kept),
    one whose output no consumer keeps for its backward (the final norm before a frozen
    head: z would cost as much as the input), a trainable scale or shift, and a shift without
    a scale.

    Before:
    ```mlir
    %n = slim.rms_norm %x scale %g epsilon 1.000000e-05 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
    After:
    ```mlir
    %z, %rstd = slim.normalize %x kind rms epsilon 1.000000e-05 : tensor<2x16x64xf32> -> (tensor<2x16x64xf32>, tensor<2x16xf32>)
    %n = slim.scale_shift %z scale %g : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
}

def SlimFuseHeadLoss : Pass<"slim-fuse-head-loss", "::mlir::func::FuncOp"> {
  let summary = "The language-model head and the loss as one op: the logits never exist whole";
  let description = [{
    A forward graph's loss `slim.cross_entropy` of a `slim.linear` without bias whose weight
    is a frozen parameter (the LM head, tied to the embedding or not) becomes one
    `slim.linear_cross_entropy` that computes `chunk` rows at a time. slim-autodiff then
    differentiates it as `slim.linear_cross_entropy_with_grad`: each chunk's logits become
    their gradient in place and go straight into that chunk's rows of the head input's
    gradient, so neither [tokens, vocab] tensor is ever held (SmolLM2-135M at batch 4 × 256:
    201 MB of logits become 50 MB per chunk of 256 rows). Exact: the same per-row arithmetic,
    fp32 sums in another order.

    Left alone: a head with a bias or a LoRA adapter, or a trainable weight (the fused op
    computes no weight gradient), or logits read by anything else. Runs before slim-autodiff
    (or on an evaluation graph); a training step is refused.

    `chunk` (rows): 256 by default. On the CPU at SmolLM2's head (576 → 49152, 1024 rows),
    smaller chunks make the head's two GEMMs slower (64 rows: ×1.39 the unfused time; 128:
    ×1.22; 256: ×1.09, bf16 weights ×1.01; bench-cpu-head-loss), larger ones save less.

    Before: `%l = slim.linear %h, %w` + `%loss = slim.cross_entropy %l, %t ignore_index -100`
    After:  `%loss = slim.linear_cross_entropy %h, %w, %t ignore_index -100 chunk 256`
  }];
  let options = [
    Option<"chunk", "chunk", "int64_t", "256", "rows of logits computed at a time (>= 1)">,
  ];
}

def SlimDisableDropout : Pass<"slim-disable-dropout", "::mlir::func::FuncOp"> {
  let summary = "Evaluate without dropout: every LoRA dropout probability set to 0";
  let description = [{
    A forward graph imported for training carries the adapter's `lora_dropout` on every
    `slim.lora`. Evaluation (a validation loss, a forward-only artifact that shares a
    training step's weights) runs the adapter as PEFT's eval mode does, without dropout: this
    pass sets each `dropout` to 0, so the same imported graph serves both. Run it before
    slim-merge-adapters to merge adapters trained with dropout.

    Exact for evaluation by construction (dropout is the identity at evaluation time); not
    for training, so it refuses a graph that slim-autodiff has run on.

    Before: `%d = slim.lora %h, %a, %b scale 2.0 dropout 0.1 seed 7 : ...`
    After:  `%d = slim.lora %h, %a, %b scale 2.0 seed 7 : ...`
  }];
}

def SlimMergeAdapters : Pass<"slim-merge-adapters", "::mlir::func::FuncOp"> {
  let summary = "Fold each LoRA adapter into its linear layer's weight (W + scale·B·A)";
  let description = [{
    LoRA-Gen's reparameterization of a forward graph: every adapted layer,
    `slim.add(slim.linear(x, W [, bias]), slim.lora(x, A, B))` with the operands of the add in
    either order, becomes `slim.linear(x, slim.merge_lora(W, A, B) [, bias])` in W's layout
    (GPT-2's Conv1D weights get the transposed delta). The specialised model then runs one
    GEMM per layer over the tokens and no adapter matmuls; the merged weight, computed in
    fp32 at each run of the step, is an intermediate of W's size, live only up to its linear
    (worth it when the tokens outnumber in·out/(in + out), RunLoRA's criterion). The
    adapter stays a function argument, so any adapter bound to the artifact is merged. A
    second adapter on the same layer folds into the already merged weight.

    Exact: the same numbers up to fp32 rounding and reassociation (x·(W + s·B·A)ᵀ against
    x·Wᵀ + s·(x·Aᵀ)·Bᵀ).

    Left alone, with a remark: an adapter with dropout (its output is random, and no fixed
    weight reproduces it) and a layer whose frozen or adapter output is also read elsewhere
    (merging would keep both paths). Run after slim-autodiff the pass refuses with an error:
    merging a training step's forward would be exact but would recompute W' at every step,
    a FLOP trade that belongs to slim-lora-order. A merged graph whose adapters are trainable
    cannot be differentiated (slim.merge_lora has no backward rule): it is for evaluation and
    inference.

    Before:
    ```mlir
    %y0 = slim.linear %h, %w : (tensor<2x16x64xf32>, tensor<128x64xf32>) -> tensor<2x16x128xf32>
    %d = slim.lora %h, %a, %b scale 2.0 : (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<2x16x128xf32>
    %y = slim.add %y0, %d : tensor<2x16x128xf32>
    ```
    After:
    ```mlir
    %w2 = slim.merge_lora %w, %a, %b scale 2.000000e+00 : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<128x64xf32>
    %y = slim.linear %h, %w2 : (tensor<2x16x64xf32>, tensor<128x64xf32>) -> tensor<2x16x128xf32>
    ```
  }];
}

#endif // SLIMTUNE_PASSES_TD
