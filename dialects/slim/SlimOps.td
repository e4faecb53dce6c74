//===- SlimOps.td - operations of the slim dialect ---------------------------------------===//
//
// Forward ops of LLaMA- and GPT-2-style decoders with adapters, the loss, and the memory ops
// slim.stash / slim.unstash. Shapes are written [B, T, C] for batch, sequence and channels.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIM_OPS_TD
#define SLIM_OPS_TD

include "dialects/slim/SlimAttrs.td"
include "dialects/slim/SlimTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===-------------------------------------------------------------------------------------===//
// Type constraints
//===-------------------------------------------------------------------------------------===//

def Slim_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
// A frozen weight: floats, or ggml blocks (--precision q8|q4) for the ops whose kernels
// decode them (linear, embedding, the fused head and loss).
def Slim_WeightTensor : RankedTensorOf<[F32, F16, BF16, Slim_BlocksType]>;
def Slim_IdTensor : RankedTensorOf<[I32]>;
def Slim_Loss : 0DTensorOf<[F32]>;

// Every op states its shape and attribute rules once, in
// InferShapeOpInterface::inferResultTypes; the interface's verifier checks the declared result
// types against that rule, so ops need no verifier of their own.
// Every op is also a kernel op (KernelOpInterface): `kernel` names the interface methods the
// op overrides (workspace, in-place operands, FLOPs); the rest keep their defaults.
class Slim_Op<string mnemonic, list<Trait> traits = [], list<string> kernel = []>
    : Op<Slim_Dialect, mnemonic,
         !listconcat([Pure, DeclareOpInterfaceMethods<Slim_InferShapeOpInterface>,
                      DeclareOpInterfaceMethods<Slim_KernelOpInterface, kernel>], traits)>;

// A forward op slim-autodiff differentiates: it builds its own backward
// (DifferentiableOpInterface); `backward` names the optional methods it overrides.
class Slim_Differentiable<list<string> backward = []>
    : DeclareOpInterfaceMethods<Slim_DifferentiableOpInterface,
                                !listconcat(["buildBackward"], backward)>;

//===-------------------------------------------------------------------------------------===//
// Embeddings
//===-------------------------------------------------------------------------------------===//

def Slim_EmbeddingOp : Slim_Op<"embedding", [Slim_Differentiable<[]>]> {
  let summary = "Token embedding: rows of a table gathered by token id";
  let description = [{
    `result[..., :] = table[ids[...], :]`. The table is [V, C]; ids of any shape give a result
    of shape ids.shape + [C]. Ids outside [0, V) are a run-time error (the runtime checks the
    batch before the step). A bf16 table (a frozen weight kept in bf16) gives f32 rows.

    ```mlir
    %x = slim.embedding %wte[%ids] : tensor<512x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_WeightTensor:$table, Slim_IdTensor:$ids);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->` type($result)
  }];
}

def Slim_PositionEmbeddingOp : Slim_Op<"position_embedding", [Slim_Differentiable<[]>]> {
  let summary = "Learned position embedding of each token in a batch";
  let description = [{
    `result[b, t, :] = table[t, :]` for ids of shape [B, T]; the ids give only the shape
    (positions count from 0 in every row). The table is [P, C] and T must not exceed P.
    GPT-2's `wpe`.

    ```mlir
    %p = slim.position_embedding %wpe[%ids] : tensor<128x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$table, Slim_IdTensor:$ids);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->` type($result)
  }];
}

//===-------------------------------------------------------------------------------------===//
// Norms
//===-------------------------------------------------------------------------------------===//

def Slim_RMSNormOp : Slim_Op<"rms_norm", [Slim_Differentiable<["backwardReadsOperand"]>]> {
  let summary = "RMSNorm over the last dimension, optionally scaled";
  let description = [{
    `y = x · rsqrt(mean(x², -1) + epsilon) · scale`. The scale (γ, shape [C]) is optional:
    memory-sharing backprop folds it into the consumers and leaves the norm without one.

    ```mlir
    %y = slim.rms_norm %x scale %g epsilon 1.000000e-05 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Optional<Slim_FloatTensor>:$scale,
                       F64Attr:$epsilon);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^)? `epsilon` $epsilon attr-dict `:` functional-type(operands, results)
  }];
}

def Slim_LayerNormOp : Slim_Op<"layer_norm", [AttrSizedOperandSegments,
    Slim_Differentiable<["backwardReadsOperand"]>]> {
  let summary = "LayerNorm over the last dimension, optionally scaled and shifted";
  let description = [{
    `y = (x − mean(x, -1)) · rsqrt(var(x, -1) + epsilon) · scale + shift`, with biased
    variance. Scale (γ) and shift (β) are [C] and optional.

    ```mlir
    %y = slim.layer_norm %x scale %g shift %b epsilon 1.000000e-05 : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Optional<Slim_FloatTensor>:$scale,
                       Optional<Slim_FloatTensor>:$shift, F64Attr:$epsilon);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^)? (`shift` $shift^)? `epsilon` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
}

// Memory-sharing backprop (docs/techniques.md, MS-BP) splits a norm in two, so its backward can read
// the normalized value the consumers stash anyway instead of the input.

def Slim_NormalizeOp : Slim_Op<"normalize", [Slim_Differentiable<["backwardReadsResult"]>]> {
  let summary = "RMSNorm or LayerNorm without the affine part, returning rstd as well";
  let description = [{
    `z = x · rstd` (kind `rms`, rstd = rsqrt(mean(x², -1) + epsilon)) or
    `z = (x − mean(x, -1)) · rstd` (kind `layer`, rstd = rsqrt(var(x, -1) + epsilon), biased
    variance), and rstd itself, one fp32 per row: everything the backward needs besides z.
    `slim.rms_norm %x scale %g` is `slim.scale_shift` of this op's z.

    ```mlir
    %z, %rstd = slim.normalize %x kind rms epsilon 1.000000e-05 : tensor<2x16x64xf32> -> (tensor<2x16x64xf32>, tensor<2x16xf32>)
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Slim_NormKind:$kind, F64Attr:$epsilon);
  let results = (outs Slim_FloatTensor:$result, Slim_FloatTensor:$rstd);
  let assemblyFormat = [{
    $input `kind` $kind `epsilon` $epsilon attr-dict `:` type($input) `->` `(` type($result) `,`
    type($rstd) `)`
  }];
}

def Slim_ScaleShiftOp : Slim_Op<"scale_shift",
    [Slim_Differentiable<["backwardReadsOperand", "isRecomputedForBackward"]>],
    ["getInPlaceOperands"]> {
  let summary = "Per-channel affine map of the last dimension: a norm's γ and β";
  let description = [{
    `y = x · scale + shift`, scale and shift [C], shift optional. After slim-share-norm-stash
    it applies a norm's γ and β to the normalized value; its backward (dx = dy · scale) is the
    op again without the shift. The backward recomputes it from the stashed z rather than
    keeping y: one pass over the rows instead of a second copy of them.

    ```mlir
    %y = slim.scale_shift %z scale %g : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Slim_FloatTensor:$scale,
                       Optional<Slim_FloatTensor>:$shift);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $input `scale` $scale (`shift` $shift^)? attr-dict `:` functional-type(operands, results)
  }];
}

//===-------------------------------------------------------------------------------------===//
// Linear layers and adapters
//===-------------------------------------------------------------------------------------===//

def Slim_LinearOp : Slim_Op<"linear", [Slim_Differentiable<["backwardReadsOperand"]>],
                             ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "Affine map of the last dimension with a stored weight";
  let description = [{
    `y = x·Wᵀ + b` for a weight stored [out, in] (`layout out_in`, nn.Linear, the default), or
    `y = x·W + b` for a weight stored [in, out] (`layout in_out`, GPT-2's Conv1D). The input
    is [..., in], the result [..., out], the optional bias [out]. The weight's layout is the
    checkpoint's, so a frozen weight is never copied to transpose it. A weight of bf16 with an
    f32 input (frozen weights kept in bf16, `--precision bf16`) multiplies the input rounded
    to bf16, accumulating in f32; the bias and result stay f32.

    ```mlir
    %y = slim.linear %x, %w : (tensor<2x16x64xf32>, tensor<128x64xf32>) -> tensor<2x16x128xf32>
    %z = slim.linear %x, %c bias %b layout in_out : (tensor<2x16x64xf32>, tensor<64x192xf32>, tensor<192xf32>) -> tensor<2x16x192xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Slim_WeightTensor:$weight,
                       Optional<Slim_FloatTensor>:$bias,
                       DefaultValuedAttr<Slim_WeightLayout, "WeightLayout::out_in">:$layout);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? (`layout` $layout^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The number of input and output features, from the weight's shape and layout.
    int64_t getInFeatures();
    int64_t getOutFeatures();
  }];
}

def Slim_LoraOp : Slim_Op<"lora", [Slim_Differentiable<["backwardReadsOperand"]>],
                             ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "The low-rank update of a LoRA adapter";
  let description = [{
    `y = scale · dropout(x)·Aᵀ·Bᵀ` with A [r, in] and B [out, r] stored as PEFT stores them
    (`lora_A.weight`, `lora_B.weight`); x is [..., in] and y [..., out]. The adapted layer's
    output is the frozen linear's plus this update (`slim.add`). `scale` is lora_alpha / r
    (or / √r with rsLoRA); `dropout` is PEFT's lora_dropout probability on x (default 0), its
    mask drawn from `seed` and the optimizer step by a counter-based hash (so the backward
    regenerates it instead of storing it).

    ```mlir
    %d = slim.lora %x, %a, %b scale 2.000000e+00 : (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Slim_FloatTensor:$lora_a,
                       Slim_FloatTensor:$lora_b, F64Attr:$scale,
                       DefaultValuedAttr<F64Attr, "0.0">:$dropout,
                       DefaultValuedAttr<I64Attr, "0">:$seed);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $lora_a `,` $lora_b `scale` $scale (`dropout` $dropout^)? (`seed` $seed^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The adapter's rank r.
    int64_t getRank();
  }];
}

def Slim_SampledLinearOp : Slim_Op<"sampled_linear", [Slim_Differentiable<["backwardReadsOperand"]>],
                                    ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "A frozen linear whose input gradient is CE-LoRA's approximation";
  let description = [{
    The forward is `slim.linear`'s, exactly: `y = x·Wᵀ + b` (or `x·W + b`, `layout in_out`).
    Only the backward differs (`slim.sampled_linear_grad`): with the weight's rank-r SVD pair
    W ≈ `left`·`right` (as stored, fp32) and the residual W_res = W − left·right, the input
    gradient is CE-LoRA's (dy·L)·R + dy[:, S]·W_res[S] = dy[:, S]·W[S] + (dy[:, ~S]·L[~S])·R,
    exact but for the residual's output features outside S. S are the k features in
    `columns` (optimizer-like state, i32, updated in place by the backward), chosen again from
    the step's own gradient every `refresh` optimizer steps by ‖dy[:, j]‖·`norms`[j]
    (`norms`: W_res's per-feature norms); the first step is exact. slim-ce-lora writes it and
    the runtime derives `left`, `right` and `norms` from W when it binds the model. Nothing of
    x is kept for the backward.

    ```mlir
    %y = slim.sampled_linear %x, %w, %left, %right, %norms columns %s refresh 200 : (tensor<2x16x64xf32>, tensor<128x64xf32>, tensor<128x8xf32>, tensor<8x64xf32>, tensor<128xf32>, tensor<70xi32>) -> tensor<2x16x128xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Slim_FloatTensor:$weight,
                       2DTensorOf<[F32]>:$left, 2DTensorOf<[F32]>:$right, 1DTensorOf<[F32]>:$norms,
                       1DTensorOf<[I32]>:$columns, Optional<Slim_FloatTensor>:$bias,
                       I64Attr:$refresh,
                       DefaultValuedAttr<Slim_WeightLayout, "WeightLayout::out_in">:$layout);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $left `,` $right `,` $norms `columns` $columns (`bias` $bias^)?
    `refresh` $refresh (`layout` $layout^)? attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    int64_t getInFeatures();
    int64_t getOutFeatures();
  }];
}

def Slim_MergeLoraOp : Slim_Op<"merge_lora", [], ["getInPlaceOperands", "getMatmulFlops"]> {
  let summary = "A linear weight with a LoRA adapter folded in: W + scale·B·A";
  let description = [{
    `result = weight + scale · (B·A)` for a weight stored [out, in] (`layout out_in`, the
    default), or `weight + scale · (B·A)ᵀ` for one stored [in, out] (`layout in_out`, GPT-2's
    Conv1D): the result has the weight's type and layout, so `slim.linear` reads it in place
    of the weight. A [r, in] and B [out, r] are stored as PEFT stores them, as for
    `slim.lora`; the sum is computed in fp32. `slim.linear(x, merge_lora(W, A, B))` equals
    `slim.linear(x, W) + slim.lora(x, A, B)` without dropout, up to fp32 rounding
    (LoRA-Gen's reparameterization, what slim-merge-adapters rewrites to).

    ```mlir
    %w2 = slim.merge_lora %w, %a, %b scale 2.000000e+00 : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<128x64xf32>
    %c2 = slim.merge_lora %c, %a, %b scale 2.000000e+00 layout in_out : (tensor<64x192xf32>, tensor<8x64xf32>, tensor<192x8xf32>) -> tensor<64x192xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$weight, Slim_FloatTensor:$lora_a,
                       Slim_FloatTensor:$lora_b, F64Attr:$scale,
                       DefaultValuedAttr<Slim_WeightLayout, "WeightLayout::out_in">:$layout);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $weight `,` $lora_a `,` $lora_b `scale` $scale (`layout` $layout^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The number of input and output features, from the weight's shape and layout.
    int64_t getInFeatures();
    int64_t getOutFeatures();
    /// The adapter's rank r.
    int64_t getRank();
  }];
}

//===-------------------------------------------------------------------------------------===//
// Attention
//===-------------------------------------------------------------------------------------===//

def Slim_RopeOp : Slim_Op<"rope", [SameOperandsAndResultType, Slim_Differentiable<[]>],
                             ["getInPlaceOperands"]> {
  let summary = "Rotary position embedding, rotate-half layout";
  let description = [{
    For x of shape [B, T, H·head_dim], each head's channels [x1, x2] (halves of head_dim) at
    position t become [x1·cos − x2·sin, x2·cos + x1·sin] with angle t·theta^(−2i/head_dim),
    i < head_dim/2: the Hugging Face LLaMA layout. Positions count from 0 in every row.
    `inverse` rotates by the negative angle: the backward of the forward rotation.

    ```mlir
    %q2 = slim.rope %q head_dim 16 theta 1.000000e+04 : tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, I64Attr:$head_dim, F64Attr:$theta,
                       UnitAttr:$inverse);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $input `head_dim` $head_dim `theta` $theta (`inverse` $inverse^)? attr-dict `:` type($input)
  }];
}

// What the attention ops (forward, training forward, backward) derive from q and their heads.
defvar Slim_AttentionAccessors = [{
  /// The per-head channel count D.
  int64_t getHeadDim() { return detail::attentionHeadDim(getQuery().getType(), getNumHeads()); }
  /// The softmax scale: the attribute, or 1/sqrt(D) without one.
  double getScaleOrDefault() { return detail::attentionScale(getScale(), getHeadDim()); }
}];

def Slim_AttentionOp : Slim_Op<"attention",
    [Slim_Differentiable<["backwardReadsOperand", "buildTrainingForward"]>],
    ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "Causal multi-head self-attention with grouped key/value heads";
  let description = [{
    q is [B, T, H·D], k and v are [B, T, Hkv·D] with H a multiple of Hkv (query head h reads
    key/value head h / (H/Hkv)). Per head: `softmax(q·kᵀ·scale + causal mask)·v`, result
    [B, T, H·D]. `scale` defaults to 1/√D. One op, so that its backward can keep only the
    output and per-row logsumexp (no T×T matrix across the step).

    ```mlir
    %o = slim.attention %q, %k, %v heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$query, Slim_FloatTensor:$key, Slim_FloatTensor:$value,
                       I64Attr:$num_heads, I64Attr:$num_kv_heads, OptionalAttr<F64Attr>:$scale);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `heads` $num_heads `kv_heads` $num_kv_heads
    (`scale` $scale^)? attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = Slim_AttentionAccessors;
}

//===-------------------------------------------------------------------------------------===//
// Elementwise
//===-------------------------------------------------------------------------------------===//

def Slim_SiluOp : Slim_Op<"silu", [SameOperandsAndResultType, Slim_Differentiable<["backwardReadsOperand"]>]> {
  let summary = "SiLU (swish): x · sigmoid(x)";
  let description = [{
    ```mlir
    %y = slim.silu %x : tensor<2x16x128xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Slim_GeluOp : Slim_Op<"gelu", [SameOperandsAndResultType, Slim_Differentiable<["backwardReadsOperand"]>]> {
  let summary = "GELU, exact (erf) or tanh-approximated";
  let description = [{
    `approximate none` (default): x·Φ(x) = 0.5·x·(1 + erf(x/√2)).
    `approximate tanh` (GPT-2's gelu_new): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).

    ```mlir
    %y = slim.gelu %x approximate tanh : tensor<2x16x256xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input,
                       DefaultValuedAttr<Slim_GeluApproximation,
                                         "GeluApproximation::none">:$approximate);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`approximate` $approximate^)? attr-dict `:` type($input)
  }];
}

class Slim_BinaryOp<string mnemonic, string formula, list<string> backward = []>
    : Slim_Op<mnemonic, [Commutative, SameOperandsAndResultType, Slim_Differentiable<backward>],
              ["getInPlaceOperands"]> {
  let summary = "Elementwise " # formula # " of two tensors of one type";
  let description = !strconcat("`result = lhs ", formula, " rhs`, no broadcasting.\n\n",
    "```mlir\n%z = slim.", mnemonic, " %x, %y : tensor<2x16x64xf32>\n```");
  let arguments = (ins Slim_FloatTensor:$lhs, Slim_FloatTensor:$rhs);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Slim_AddOp : Slim_BinaryOp<"add", "+">;
def Slim_MulOp : Slim_BinaryOp<"mul", "*", ["backwardReadsOperand"]>;

def Slim_ScaledAddOp : Slim_Op<"scaled_add", [SameOperandsAndResultType, Slim_Differentiable<[]>],
                                ["getInPlaceOperands"]> {
  let summary = "alpha·lhs + beta·rhs: a reversible layer's coupling, and its inverse";
  let description = [{
    `result = alpha·lhs + beta·rhs`, elementwise in fp32. With `beta = 0` the rhs is not read
    (`alpha·lhs`, a coupling's gradient). MEFT's reversible layers (slim-reversible) couple two
    streams with it, `y1 = λ·x1 + F(x2)`; a coupling marked `slim.reconstruct` lets
    slim-autodiff rebuild its lhs from its result instead of stashing it:
    `lhs = (1/alpha)·result + (−beta/alpha)·rhs` (`reconstructLhs`), which multiplies the
    rounding already in `result` by 1/|alpha|.

    ```mlir
    %y = slim.scaled_add %x, %f alpha 1.000000e-01 beta 1.000000e+00 : tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$lhs, Slim_FloatTensor:$rhs, F64Attr:$alpha,
                       F64Attr:$beta);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `alpha` $alpha `beta` $beta attr-dict `:` type($result)
  }];
  let extraClassDeclaration = [{
    /// The lhs rebuilt from the result and the rhs: a scaled_add of (result, rhs) with
    /// 1/alpha and -beta/alpha, created at `b`'s insertion point. alpha must not be 0.
    Value reconstructLhs(OpBuilder &b, Value result, Value rhs);
  }];
}

//===-------------------------------------------------------------------------------------===//
// Slicing along the last dimension
//===-------------------------------------------------------------------------------------===//

def Slim_SliceOp : Slim_Op<"slice", [Slim_Differentiable<[]>]> {
  let summary = "A contiguous range of the last dimension";
  let description = [{
    `result = input[..., start:end]`. Splits GPT-2's fused q/k/v projection.

    ```mlir
    %k = slim.slice %qkv[64 : 128] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, I64Attr:$start, I64Attr:$end);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = [{
    $input `[` $start `:` $end `]` attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Slim_ConcatOp : Slim_Op<"concat", [Slim_Differentiable<[]>]> {
  let summary = "Concatenation along the last dimension";
  let description = [{
    The inverse of slicing: joins tensors that agree in all but the last dimension.

    ```mlir
    %qkv = slim.concat %q, %k, %v : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x192xf32>
    ```
  }];
  let arguments = (ins Variadic<Slim_FloatTensor>:$inputs);
  let results = (outs Slim_FloatTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasFolder = 1;
}

//===-------------------------------------------------------------------------------------===//
// Loss
//===-------------------------------------------------------------------------------------===//

def Slim_CrossEntropyOp : Slim_Op<"cross_entropy", [Slim_Differentiable<["buildTrainingForward"]>]> {
  let summary = "Mean next-token cross-entropy, skipping ignored targets";
  let description = [{
    logits [B, T, V], targets [B, T]. The mean over every (b, t) whose target is not
    `ignore_index` of `logsumexp(logits[b, t]) − logits[b, t, target]`, computed in fp32;
    zero when every target is ignored. Targets outside [0, V) other than `ignore_index` are a
    run-time error.

    ```mlir
    %loss = slim.cross_entropy %logits, %targets ignore_index -100 : (tensor<2x16x512xf32>, tensor<2x16xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$logits, Slim_IdTensor:$targets,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs Slim_Loss:$loss);
  let assemblyFormat = [{
    $logits `,` $targets `ignore_index` $ignore_index attr-dict `:`
    functional-type(operands, results)
  }];
}

def Slim_LinearCrossEntropyOp : Slim_Op<"linear_cross_entropy",
    [Slim_Differentiable<["buildTrainingForward"]>], ["getWorkspaceBytes", "getMatmulFlops"]> {
  let summary = "A linear layer and the mean cross-entropy of its result, fused";
  let description = [{
    `slim.cross_entropy(slim.linear(input, weight), targets)` — the language-model head and
    its loss — computed `chunk` rows of the input at a time, so the logits, [B, T, V], are
    never held whole: each chunk's logits live in the op's workspace, [chunk, V]. The input
    is [..., in], the weight [V, in] (`layout out_in`) or [in, V] (`layout in_out`), f32, or
    bf16 with the input rounded to bf16 as `slim.linear` does; targets [...]. The loss equals
    the unfused ops' up to the order of fp32 sums. Written by `slim-fuse-head-loss`.

    ```mlir
    %loss = slim.linear_cross_entropy %h, %w, %targets ignore_index -100 chunk 64 : (tensor<2x16x64xf32>, tensor<512x64xf32>, tensor<2x16xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Slim_FloatTensor:$input, Slim_WeightTensor:$weight, Slim_IdTensor:$targets,
                       DefaultValuedAttr<Slim_WeightLayout, "WeightLayout::out_in">:$layout,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$chunk);
  let results = (outs Slim_Loss:$loss);
  let assemblyFormat = [{
    $input `,` $weight `,` $targets (`layout` $layout^)? `ignore_index` $ignore_index
    `chunk` $chunk attr-dict `:` functional-type(operands, results)
  }];
}

//===-------------------------------------------------------------------------------------===//
// Memory
//===-------------------------------------------------------------------------------------===//

def Slim_StashOp : Slim_Op<"stash", [
    TypesMatchWith<"result is a stash of the input's type", "input", "handle",
                   "::mlir::slim::StashType::get(::llvm::cast<::mlir::RankedTensorType>($_self))">]> {
  let summary = "Keep a forward value for the backward pass";
  let description = [{
    Everything a training step carries from its forward part to its backward part passes
    through a stash; memory accounting counts exactly these. Without `encoding` the value is
    kept as is; an encoding (set by memory passes, e.g. `#slim.quant`) stores it in fewer
    bytes, and the matching `slim.unstash` decodes it. A `#slim.quant` encoding with
    `range = ema` reads and updates `range`, the site's moving range per channel group
    ([channels / group, 2]: minimum, maximum), a step argument the runtime keeps and
    checkpoints.

    ```mlir
    %h = slim.stash %x : tensor<2x16x64xf32>
    %h8 = slim.stash %x encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = batch>) : tensor<2x16x64xf32>
    %he = slim.stash %x range(%r : tensor<1x2xf32>) encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = ema>) : tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       Optional<RankedTensorOf<[F32]>>:$range_state,
                       OptionalAttr<Slim_StashEncodingAttrInterface>:$encoding);
  let results = (outs Slim_StashType:$handle);
  // Parenthesized: a bare attribute would take the op's trailing `: type` as its own.
  let assemblyFormat = [{
    $input (`range` `(` $range_state^ `:` type($range_state) `)`)?
    (`encoding` `(` $encoding^ `)`)? attr-dict `:` type($input)
  }];
  let extraClassDeclaration = [{
    /// Bytes held from this stash to its last unstash, under its encoding.
    int64_t getStoredBytes();
    /// The stash's site: which forward value it keeps, named after the op that produced it
    /// (its location's name, e.g. "model.layers.3.mlp.gate_proj:add", or else the ordinal
    /// among ops of its kind, "#12:add"), with a result number for ops of several results. The stash of
    /// Approx-BP's flags is named after the activation input they encode, so a site keeps
    /// its name through slim-approx-activation-grad. Pass options (`sites=`) select by it;
    /// `slimtune fidelity` reports by it.
    std::string getSite();
  }];
}

def Slim_UnstashOp : Slim_Op<"unstash", [
    TypesMatchWith<"result is the stashed tensor type", "handle", "result",
                   "::llvm::cast<::mlir::slim::StashType>($_self).getTensorType()">]> {
  let summary = "Read a stashed value back in the backward pass";
  let description = [{
    Yields the value given to the matching `slim.stash` (decoded, when the stash has an
    encoding: then the value is the encoding's reconstruction, not the exact input).

    ```mlir
    %x2 = slim.unstash %h : !slim.stash<tensor<2x16x64xf32>>
    ```
  }];
  let arguments = (ins Slim_StashType:$handle);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$handle attr-dict `:` qualified(type($handle))";
}

include "dialects/slim/SlimTrainingOps.td"

#endif // SLIM_OPS_TD
