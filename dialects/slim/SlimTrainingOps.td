//===- SlimTrainingOps.td - ops of the training step: backward and optimizer -------------===//
//
// What slim-autodiff and slim-optimizer add to a forward graph: the backward of each forward
// op (kept as separate ops so memory passes can see and rewrite them), the fused loss and its
// gradient, and AdamW with its learning-rate schedule and gradient clipping.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIM_TRAINING_OPS_TD
#define SLIM_TRAINING_OPS_TD

//===-------------------------------------------------------------------------------------===//
// Backward of the forward ops
//===-------------------------------------------------------------------------------------===//

def Slim_AttentionWithLseOp : Slim_Op<"attention_with_lse",
    [Slim_Differentiable<["backwardReadsOperand", "backwardReadsResult"]>],
    ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "Causal attention that also returns each row's logsumexp, for its backward";
  let description = [{
    `slim.attention` with a second result: lse [B, H, T], the logsumexp of each row of scaled,
    masked scores. The backward recomputes probabilities from q, k and lse, so no T×T matrix
    is kept between forward and backward.

    ```mlir
    %o, %lse = slim.attention_with_lse %q, %k, %v heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> (tensor<2x16x64xf32>, tensor<2x4x16xf32>)
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$query, Slim_FloatTensor:$key, Slim_FloatTensor:$value,
                       I64Attr:$num_heads, I64Attr:$num_kv_heads, OptionalAttr<F64Attr>:$scale);
  let results = (outs Slim_FloatTensor:$result, Slim_FloatTensor:$lse);
  let assemblyFormat = [{
    $query `,` $key `,` $value `heads` $num_heads `kv_heads` $num_kv_heads
    (`scale` $scale^)? attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = Slim_AttentionAccessors;
}

def Slim_AttentionGradOp : Slim_Op<"attention_grad", [],
                                    ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "Gradients of causal attention with respect to q, k and v";
  let description = [{
    From the forward's inputs, output and lse, and the output's gradient:
    D = rowsum(dO ∘ O); P = exp(q·kᵀ·scale − lse); dS = P ∘ (dO·vᵀ − D);
    dq = scale·dS·k, dk = scale·dSᵀ·q, dv = Pᵀ·dO (summed over the query heads of a group).

    ```mlir
    %dq, %dk, %dv = slim.attention_grad %q, %k, %v, %o, %lse, %do heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<2x16x64xf32>, tensor<2x4x16xf32>, tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>)
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$query, Slim_FloatTensor:$key, Slim_FloatTensor:$value,
                       Slim_FloatTensor:$output, Slim_FloatTensor:$lse,
                       Slim_FloatTensor:$output_grad, I64Attr:$num_heads, I64Attr:$num_kv_heads,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Slim_FloatTensor:$query_grad, Slim_FloatTensor:$key_grad,
                      Slim_FloatTensor:$value_grad);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $output `,` $lse `,` $output_grad `heads` $num_heads
    `kv_heads` $num_kv_heads (`scale` $scale^)? attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = Slim_AttentionAccessors;
}

def Slim_RMSNormGradOp : Slim_Op<"rms_norm_grad"> {
  let summary = "Gradient of rms_norm with respect to its input";
  let description = [{
    With z = x·rstd: dx = rstd·(g − z·mean(g ∘ z)), g = dy·scale. The scale is frozen.

    ```mlir
    %dx = slim.rms_norm_grad %dy, %x scale %g epsilon 1.000000e-05 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$result_grad, Slim_FloatTensor:$input,
                       Optional<Slim_FloatTensor>:$scale, F64Attr:$epsilon);
  let results = (outs Slim_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $result_grad `,` $input (`scale` $scale^)? `epsilon` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
}

def Slim_LayerNormGradOp : Slim_Op<"layer_norm_grad"> {
  let summary = "Gradient of layer_norm with respect to its input";
  let description = [{
    With z = (x − μ)·rstd: dx = rstd·(g − mean(g) − z·mean(g ∘ z)), g = dy·scale. Scale and
    shift are frozen.

    ```mlir
    %dx = slim.layer_norm_grad %dy, %x scale %g epsilon 1.000000e-05 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$result_grad, Slim_FloatTensor:$input,
                       Optional<Slim_FloatTensor>:$scale, F64Attr:$epsilon);
  let results = (outs Slim_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $result_grad `,` $input (`scale` $scale^)? `epsilon` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
}

def Slim_NormalizeGradOp : Slim_Op<"normalize_grad"> {
  let summary = "Gradient of slim.normalize from its output and rstd (memory-sharing backprop)";
  let description = [{
    From z and rstd, not x: `dx = rstd·(g − z·mean(g ∘ z))` (kind `rms`) or
    `dx = rstd·(g − mean(g) − z·mean(g ∘ z))` (kind `layer`), g the gradient of z. The
    same gradient as rms_norm_grad / layer_norm_grad, so the norm's input need not be kept.

    ```mlir
    %dx = slim.normalize_grad %dz, %z, %rstd kind rms : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$result_grad, Slim_FloatTensor:$result,
                       Slim_FloatTensor:$rstd, Slim_NormKind:$kind);
  let results = (outs Slim_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $result_grad `,` $result `,` $rstd `kind` $kind attr-dict `:`
    functional-type(operands, results)
  }];
}

def Slim_WeightGradOp : Slim_Op<"weight_grad", [], ["getMatmulFlops"]> {
  let summary = "Gradient of a linear layer's weight";
  let description = [{
    dW = dyᵀ·x, shaped [out, in] for `layout out_in` and [in, out] for `layout in_out` (the
    weight's own layout). Only trainable weights need it; a frozen linear's backward is a
    `slim.linear` with the transposed layout and stashes nothing.

    ```mlir
    %dw = slim.weight_grad %dy, %x : (tensor<2x16x128xf32>, tensor<2x16x64xf32>) -> tensor<128x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$result_grad, Slim_FloatTensor:$input,
                       DefaultValuedAttr<Slim_WeightLayout, "WeightLayout::out_in">:$layout);
  let results = (outs Slim_FloatTensor:$weight_grad);
  let assemblyFormat = [{
    $result_grad `,` $input (`layout` $layout^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Slim_SumRowsOp : Slim_Op<"sum_rows"> {
  let summary = "Sum over every dimension but the last (a bias's gradient)";
  let description = [{
    ```mlir
    %db = slim.sum_rows %dy : tensor<2x16x128xf32> -> tensor<128xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Slim_LoraGradOp : Slim_Op<"lora_grad", [], ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "Gradients of a LoRA update with respect to its input, A and B";
  let description = [{
    For y = scale·drop(x)·Aᵀ·Bᵀ: u = drop(x)·Aᵀ is recomputed (cheap: rank r), then
    dB = scale·dyᵀ·u, du = scale·dy·B, dA = duᵀ·drop(x), dx = drop'(du·A). The dropout mask is
    the forward's (same seed and step), regenerated rather than stored.

    ```mlir
    %dx, %da, %db = slim.lora_grad %dy, %x, %a, %b scale 2.000000e+00 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>)
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$result_grad, Slim_FloatTensor:$input,
                       Slim_FloatTensor:$lora_a, Slim_FloatTensor:$lora_b, F64Attr:$scale,
                       DefaultValuedAttr<F64Attr, "0.0">:$dropout,
                       DefaultValuedAttr<I64Attr, "0">:$seed);
  let results = (outs Slim_FloatTensor:$input_grad, Slim_FloatTensor:$lora_a_grad,
                      Slim_FloatTensor:$lora_b_grad);
  let assemblyFormat = [{
    $result_grad `,` $input `,` $lora_a `,` $lora_b `scale` $scale (`dropout` $dropout^)?
    (`seed` $seed^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Slim_SampledLinearGradOp : Slim_Op<"sampled_linear_grad", [],
                                        ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "CE-LoRA's input gradient of a frozen linear";
  let description = [{
    The backward of `slim.sampled_linear`. When the optimizer step is a multiple of
    `refresh`, `columns` becomes the k output features j with the largest
    ‖dy[:, j]‖·`norms`[j] (ties to the lower j; ascending). Then
    `input_grad = dy[:, S]·W[S] + (dy[:, ~S]·L[~S])·R` for S = the columns and the SVD pair
    L·R (`left`·`right` for `layout out_in`, its transpose for `in_out`), or `dy·W` exactly
    on step 0. The new columns come back as `new_columns`, which updates the state argument
    in place (slim.updates). The step counter is the step's own ("step" input), as for
    dropout.

    ```mlir
    %dx, %s2 = slim.sampled_linear_grad %dy, %w, %left, %right, %norms, %s refresh 200 : (tensor<2x16x128xf32>, tensor<128x64xf32>, tensor<128x8xf32>, tensor<8x64xf32>, tensor<128xf32>, tensor<70xi32>) -> (tensor<2x16x64xf32>, tensor<70xi32>)
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$result_grad, Slim_FloatTensor:$weight,
                       2DTensorOf<[F32]>:$left, 2DTensorOf<[F32]>:$right, 1DTensorOf<[F32]>:$norms,
                       1DTensorOf<[I32]>:$columns, I64Attr:$refresh,
                       DefaultValuedAttr<Slim_WeightLayout, "WeightLayout::out_in">:$layout);
  let results = (outs Slim_FloatTensor:$input_grad, 1DTensorOf<[I32]>:$new_columns);
  let assemblyFormat = [{
    $result_grad `,` $weight `,` $left `,` $right `,` $norms `,` $columns `refresh` $refresh
    (`layout` $layout^)? attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    int64_t getInFeatures();
    int64_t getOutFeatures();
    /// The SVD pair's rank r.
    int64_t getRank() { return getLeft().getType().getDimSize(1); }
  }];
}

def Slim_LoraWeightGradOp : Slim_Op<"lora_weight_grad", [], ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "Gradients of a LoRA update with respect to A and B only";
  let description = [{
    `slim.lora_grad` without the input gradient: slim-lora-order writes it where the input
    gradient comes from the merged weight instead, dx = dy·(W + scale·B·A), one product with
    the frozen weight's. The same kernel, told not to compute dx.

    ```mlir
    %da, %db = slim.lora_weight_grad %dy, %x, %a, %b scale 2.000000e+00 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> (tensor<8x64xf32>, tensor<64x8xf32>)
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$result_grad, Slim_FloatTensor:$input,
                       Slim_FloatTensor:$lora_a, Slim_FloatTensor:$lora_b, F64Attr:$scale,
                       DefaultValuedAttr<F64Attr, "0.0">:$dropout,
                       DefaultValuedAttr<I64Attr, "0">:$seed);
  let results = (outs Slim_FloatTensor:$lora_a_grad, Slim_FloatTensor:$lora_b_grad);
  let assemblyFormat = [{
    $result_grad `,` $input `,` $lora_a `,` $lora_b `scale` $scale (`dropout` $dropout^)?
    (`seed` $seed^)? attr-dict `:` functional-type(operands, results)
  }];
}

class Slim_ActivationGradOp<string mnemonic, string forward>
    : Slim_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = "Gradient of " # forward # " with respect to its input";
  let arguments = (ins Slim_FloatTensor:$result_grad, Slim_FloatTensor:$input);
  let results = (outs Slim_FloatTensor:$input_grad);
  let assemblyFormat = "$result_grad `,` $input attr-dict `:` type($input)";
}

def Slim_SiluGradOp : Slim_ActivationGradOp<"silu_grad", "slim.silu"> {
  let description = [{
    dx = dy·σ(x)·(1 + x·(1 − σ(x))).

    ```mlir
    %dx = slim.silu_grad %dy, %x : tensor<2x16x128xf32>
    ```
  }];
}

def Slim_GeluGradOp : Slim_Op<"gelu_grad", [SameOperandsAndResultType]> {
  let summary = "Gradient of slim.gelu with respect to its input";
  let description = [{
    ```mlir
    %dx = slim.gelu_grad %dy, %x approximate tanh : tensor<2x16x256xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$result_grad, Slim_FloatTensor:$input,
                       DefaultValuedAttr<Slim_GeluApproximation,
                                         "GeluApproximation::none">:$approximate);
  let results = (outs Slim_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $result_grad `,` $input (`approximate` $approximate^)? attr-dict `:` type($input)
  }];
}

def Slim_ActivationFlagsOp : Slim_Op<"activation_flags"> {
  let summary = "2-bit segment indices of an activation's input, packed (Approx-BP)";
  let description = [{
    For each element x of the input, the segment of the approximation `kind` it falls in:
    flag = [x > c0] + [x > c1] + [x > c2] (fp32, strict >), with ReSiLU2's or ReGELU2's
    breakpoints c (docs/techniques.md, Approx-BP). Four flags per byte: element i lands in byte i / 4 at
    bits 2·(i mod 4), the layout every kernel (CPU and CUDA) shares. The result is what the
    backward keeps instead of the input: 2 bits per element instead of 32.

    ```mlir
    %f = slim.activation_flags %x kind resilu2 : tensor<2x16x128xf32> -> tensor<1024xi8>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Slim_ApproxActivation:$kind);
  let results = (outs RankedTensorOf<[I8]>:$flags);
  let assemblyFormat = "$input `kind` $kind attr-dict `:` type($input) `->` type($flags)";
}

def Slim_ActivationGradFromFlagsOp : Slim_Op<"activation_grad_from_flags"> {
  let summary = "Approximate activation gradient from 2-bit flags (Approx-BP)";
  let description = [{
    dx = dy · (a0 + ... + a_{flag-1}): the derivative of the step function
    h(x) = Σ a_i·ReLU(x − c_i) that approximates SiLU (resilu2) or GELU (regelu2), read from the
    flags `slim.activation_flags` packed. The forward stays exact; only its gradient is
    approximated.

    ```mlir
    %dx = slim.activation_grad_from_flags %dy, %f kind resilu2 : (tensor<2x16x128xf32>, tensor<1024xi8>) -> tensor<2x16x128xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$result_grad, RankedTensorOf<[I8]>:$flags,
                       Slim_ApproxActivation:$kind);
  let results = (outs Slim_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $result_grad `,` $flags `kind` $kind attr-dict `:` functional-type(operands, results)
  }];
}

def Slim_ZerosOp : Slim_Op<"zeros"> {
  let summary = "A tensor of zeros";
  let description = [{
    The gradient of a trainable parameter the loss does not depend on, and the filler where
    slices' gradients do not cover their source.

    ```mlir
    %z = slim.zeros : tensor<8x64xf32>
    ```
  }];
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Slim_CrossEntropyWithGradOp : Slim_Op<"cross_entropy_with_grad", [Slim_Differentiable<[]>],
                                            ["getInPlaceOperands"]> {
  let summary = "Mean cross-entropy and its gradient with respect to the logits, fused";
  let description = [{
    The loss of `slim.cross_entropy` and, for a loss gradient of 1, dlogits =
    (softmax(logits) − onehot(target)) / count, zero on ignored rows. Fusing them lets the
    logits' buffer become the gradient's: the largest activation of a language model is never
    held twice nor kept for the backward.

    ```mlir
    %loss, %dlogits = slim.cross_entropy_with_grad %logits, %targets ignore_index -100 : (tensor<2x16x512xf32>, tensor<2x16xi32>) -> (tensor<f32>, tensor<2x16x512xf32>)
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$logits, Slim_IdTensor:$targets,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs Slim_Loss:$loss, Slim_FloatTensor:$logits_grad);
  let assemblyFormat = [{
    $logits `,` $targets `ignore_index` $ignore_index attr-dict `:`
    functional-type(operands, results)
  }];
}

def Slim_LinearCrossEntropyWithGradOp : Slim_Op<"linear_cross_entropy_with_grad",
    [Slim_Differentiable<[]>], ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "The fused head and loss with the gradient of its input";
  let description = [{
    The loss of `slim.linear_cross_entropy` and, for a loss gradient of 1, the input's
    gradient dlogits·W (W read as [V, in]), chunk by chunk: each chunk's logits become their
    gradient in place, (softmax − onehot(target)) / count, and are multiplied into that
    chunk's rows of the input gradient at once, so neither the logits nor their gradient
    exists whole. With a bf16 weight the logits' gradient is rounded to bf16 for that
    product, as `slim.linear` rounds its input. The weight gets no gradient (the pass fuses
    frozen heads only).

    ```mlir
    %loss, %dh = slim.linear_cross_entropy_with_grad %h, %w, %targets ignore_index -100 chunk 64 : (tensor<2x16x64xf32>, tensor<512x64xf32>, tensor<2x16xi32>) -> (tensor<f32>, tensor<2x16x64xf32>)
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Slim_WeightTensor:$weight, Slim_IdTensor:$targets,
                       DefaultValuedAttr<Slim_WeightLayout, "WeightLayout::out_in">:$layout,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$chunk);
  let results = (outs Slim_Loss:$loss, Slim_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $input `,` $weight `,` $targets (`layout` $layout^)? `ignore_index` $ignore_index
    `chunk` $chunk attr-dict `:` functional-type(operands, results)
  }];
}

//===-------------------------------------------------------------------------------------===//
// Optimizer
//===-------------------------------------------------------------------------------------===//

def Slim_StepTensor : 0DTensorOf<[I32]>;

def Slim_GlobalNormSquaredOp : Slim_Op<"global_norm_squared"> {
  let summary = "The sum of squares of every element of the gradients, in fp64";
  let description = [{
    ```mlir
    %ss = slim.global_norm_squared %ga, %gb : tensor<8x64xf32>, tensor<64x8xf32> -> tensor<f64>
    ```
  }];
  let arguments = (ins Variadic<Slim_FloatTensor>:$gradients);
  let results = (outs 0DTensorOf<[F64]>:$result);
  let assemblyFormat = "$gradients attr-dict `:` type($gradients) `->` type($result)";
}

def Slim_SqrtOp : Slim_Op<"sqrt"> {
  let summary = "Square root of an fp64 scalar, as fp32 (the gradient norm)";
  let description = [{
    ```mlir
    %norm = slim.sqrt %ss : tensor<f64> -> tensor<f32>
    ```
  }];
  let arguments = (ins 0DTensorOf<[F64]>:$input);
  let results = (outs Slim_Loss:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Slim_AdamWOp : Slim_Op<"adamw"> {
  let summary = "One AdamW update of a parameter and its moments";
  let description = [{
    PyTorch's AdamW: decoupled weight decay, bias correction with t = step + 1, fp32 moments.
    With `max_grad_norm` > 0 the gradient is first scaled by
    min(1, max_grad_norm / (sqrt(norm_squared) + 1e-6)). Results are the new parameter and
    moments; the step function writes them in place of its arguments.

    ```mlir
    %p2, %m2, %v2 = slim.adamw %p, %g, %m, %v, %lr, %step, %ss beta1 9.000000e-01 beta2 9.990000e-01 eps 1.000000e-08 weight_decay 0.000000e+00 max_grad_norm 1.000000e+00 : (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<f32>, tensor<i32>, tensor<f64>) -> (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>)
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$param, Slim_FloatTensor:$grad, Slim_FloatTensor:$m,
                       Slim_FloatTensor:$v, Slim_Loss:$lr, Slim_StepTensor:$step,
                       0DTensorOf<[F64]>:$norm_squared, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$eps, F64Attr:$weight_decay, F64Attr:$max_grad_norm);
  let results = (outs Slim_FloatTensor:$new_param, Slim_FloatTensor:$new_m,
                      Slim_FloatTensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `,` $lr `,` $step `,` $norm_squared `beta1` $beta1
    `beta2` $beta2 `eps` $eps `weight_decay` $weight_decay `max_grad_norm` $max_grad_norm
    attr-dict `:` functional-type(operands, results)
  }];
}

#endif // SLIM_TRAINING_OPS_TD
