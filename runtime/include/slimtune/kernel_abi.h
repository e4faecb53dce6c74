/* The ABI between a compiled training step (the artifact) and the runtime that runs it.
 *
 * The compiler may include this header (symbol names, struct layouts) and nothing else of the
 * runtime's kernels. A step artifact is a shared library exporting two C functions:
 *
 *   const char *slimtune_artifact_manifest(void);      JSON: target, buffers, arena size, ...
 *   int32_t slimtune_artifact_step(const slimtune_step_args *args);
 *
 * The step function calls kernels only through `args->kernels`, a table of function pointers
 * indexed by slimtune_kernel_id, so the artifact has no undefined symbols and needs nothing
 * of LLVM/MLIR at run time. The table, the memory the pointers point into and the context
 * every kernel receives belong to one device of the runtime (runtime/include/slimtune/device.h):
 * the same artifact code drives any backend whose kernels keep this ABI.
 *
 * Conventions of every kernel:
 *   - its C type is int32_t kernel(void *context, <parameters>): `context` is the step's
 *     args->device_context (the backend's own state: NULL on the CPU, a stream and library
 *     handles on a GPU); it returns SLIMTUNE_KERNEL_OK or a failure status, and the step stops
 *     at the first failure, records the kernel's id in *args->failed_kernel and returns the
 *     status (the device can say more about it);
 *   - tensors are contiguous, row-major, fp32 unless stated; "n" counts rows (batch * seq for
 *     activations of shape [batch, seq, channels]);
 *   - a bf16 tensor holds bfloat16 values as uint16_t bit patterns (the top 16 bits of an
 *     fp32); bf16(v) rounds an fp32 to nearest, ties to even, a NaN staying NaN (quiet), and
 *     a bf16 value widens to fp32 exactly (runtime/kernels/common/bf16.h);
 *   - outputs come first, then inputs, then sizes, then scalars;
 *   - an output may alias an input only where the kernel says so;
 *   - kernels check nothing the runtime can check before the step: token ids and targets are
 *     validated by the runtime, shapes and workspaces by the compiler.
 *
 * Each kernel is listed once in SLIMTUNE_KERNELS(X): X(ID, name, signature). The signature
 * string encodes the parameters after the context for the code generator, one letter each:
 *   p pointer, l int64_t, i int32_t, f float.
 * Each backend checks at compile time that every kernel's C type matches its string.
 *
 * Workspace sizes are the backend's: each backend states what its kernels need
 * (runtime/kernels/cpu/workspace.h for the CPU) and the compiler plans exactly that.
 */
#ifndef SLIMTUNE_KERNEL_ABI_H
#define SLIMTUNE_KERNEL_ABI_H

#include <stdint.h>

/* The counter-based random draws the kernels' semantics name (slimtune_counter_uniform,
 * slimtune_dropout_keep) are defined once, for every backend, in
 * runtime/kernels/common/counter_random.h. */

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever SLIMTUNE_KERNELS changes: an artifact indexes the runtime's table by id.
 * 2: merge_lora. 3: activation_flags, activation_grad_flags. 4: quantize, dequantize.
 * 5: normalize, normalize_grad, scale_shift, quantize_ema. 6: lr_schedule removed (the learning
 * rate is a step input the runtime fills); quantize, dequantize take rows and channels (a
 * row's last group may be shorter). 7: kernels take the device context first and return a
 * status; the step returns the first failure; workspace sizes moved to the backends.
 * 8: linear_bf16, embedding_bf16 (frozen weights stored in bf16). 9: scaled_add (reversible
 * layers). 10: sampled_linear_grad (CE-LoRA).
 * 11: linear_cross_entropy (the head fused with the loss).
 * 12: linear_blocks, embedding_blocks (frozen weights in ggml blocks); linear_cross_entropy's
 * w_bf16 became w_format. */
#define SLIMTUNE_ABI_VERSION 12

/* How a frozen weight is stored (linear_blocks, embedding_blocks, linear_cross_entropy's
 * w_format): fp32, bf16 bits, or ggml blocks of 32 consecutive elements of a row: Q8_0 (an
 * fp16 scale d, 32 int8 codes q: x = d*q; 34 bytes), Q4_0 (d, 16 bytes of 4-bit codes, the
 * low nibbles elements 0..15, the high 16..31: x = d*(q-8); 18 bytes), Q4_1 (d, an fp16
 * minimum m, codes as Q4_0: x = d*q + m; 20 bytes), as GGUF files store them. */
typedef enum slimtune_weight_format {
  SLIMTUNE_WEIGHT_F32 = 0,
  SLIMTUNE_WEIGHT_BF16 = 1,
  SLIMTUNE_WEIGHT_Q8_0 = 2,
  SLIMTUNE_WEIGHT_Q4_0 = 3,
  SLIMTUNE_WEIGHT_Q4_1 = 4
} slimtune_weight_format;

/* clang-format off */
#define SLIMTUNE_KERNELS(X)                                                                        \
  /* embedding(out, table, ids[i32], n, c, vocab): out[i, :] = table[ids[i], :]                 */ \
  X(EMBEDDING, embedding, "ppplll")                                                                \
  /* position_embedding(out, table, b, t, c): out[bi, ti, :] = table[ti, :]                     */ \
  X(POSITION_EMBEDDING, position_embedding, "pplll")                                               \
  /* rms_norm(y, x, scale?, n, c, eps): y = x * rsqrt(mean(x^2) + eps) * scale                   */ \
  X(RMS_NORM, rms_norm, "pppllf")                                                                  \
  /* rms_norm_grad(dx, dy, x, scale?, n, c, eps): dx of rms_norm (scale is frozen)              */ \
  X(RMS_NORM_GRAD, rms_norm_grad, "ppppllf")                                                       \
  /* layer_norm(y, x, scale?, shift?, n, c, eps): (x - mean) * rsqrt(var + eps) * scale + shift  */ \
  X(LAYER_NORM, layer_norm, "ppppllf")                                                             \
  /* layer_norm_grad(dx, dy, x, scale?, n, c, eps): dx of layer_norm (scale, shift frozen)      */ \
  X(LAYER_NORM_GRAD, layer_norm_grad, "ppppllf")                                                   \
  /* linear(y, x, w, b?, n, in, out, layout[i32]): y = x W^T + b with W [out, in] (layout 0),   */ \
  /* or y = x W + b with W [in, out] (layout 1)                                                 */ \
  X(LINEAR, linear, "ppppllli")                                                                    \
  /* weight_grad(dw, dy, x, n, in, out, layout[i32]): dW = dy^T x [out, in] (layout 0) or       */ \
  /* x^T dy [in, out] (layout 1)                                                                */ \
  X(WEIGHT_GRAD, weight_grad, "pppllli")                                                           \
  /* sum_rows(db, dy, n, c): db[j] = sum_i dy[i, j]                                             */ \
  X(SUM_ROWS, sum_rows, "ppll")                                                                    \
  /* lora(y, x, a, b, work, n, in, out, r, scale, p, seed, step[i32*]):                         */ \
  /*   y = scale * (drop(x) A^T) B^T, A [r, in], B [out, r];                                     */ \
  /*   drop(x)[i] = x[i] * keep(i) / (1 - p), keep from slimtune_dropout_keep(seed, *step, i);   */ \
  /*   work: n*r floats (u = drop(x) A^T), plus n*in when p > 0 (drop(x))                        */ \
  X(LORA, lora, "pppppllllfflp")                                                                   \
  /* lora_grad(dx, da, db, dy, x, a, b, work, n, in, out, r, scale, p, seed, step[i32*]):       */ \
  /*   du = scale dy B, dB = scale dy^T u, dA = du^T drop(x), dx = (du A) * keep / (1 - p);     */ \
  /*   dx, da, db are overwritten (dx NULL: not computed); work: 2*n*r floats (u, du), plus      */ \
  /*   n*in when p > 0                                                                          */ \
  X(LORA_GRAD, lora_grad, "ppppppppllllfflp")                                                      \
  /* rope(y, x, b, t, channels, head_dim, theta, inverse[i32]): rotate-half RoPE of each head,  */ \
  /* position = index in t; inverse rotates by the negative angle; y may alias x                */ \
  X(ROPE, rope, "ppllllfi")                                                                        \
  /* attention(o, lse, q, k, v, work, b, t, heads, kv_heads, head_dim, scale): causal, grouped  */ \
  /* KV heads (query head h reads kv head h / (heads / kv_heads)); q, o [b, t, heads*head_dim],  */ \
  /* k, v [b, t, kv_heads*head_dim], lse [b, heads, t] = logsumexp of each row of scaled      */ \
  /* scores; work: b*heads*t floats                                                            */ \
  X(ATTENTION, attention, "pppppplllllf")                                                          \
  /* attention_grad(dq, dk, dv, q, k, v, o, lse, dout, work, b, t, heads, kv_heads, head_dim,   */ \
  /* scale): gradients of attention; dq, dk, dv overwritten; work: 2*b*heads*t floats          */ \
  X(ATTENTION_GRAD, attention_grad, "pppppppppplllllf")                                            \
  /* silu(y, x, n) / silu_grad(dx, dy, x, n)                                                     */ \
  X(SILU, silu, "ppl")                                                                             \
  X(SILU_GRAD, silu_grad, "pppl")                                                                  \
  /* gelu(y, x, n, tanh[i32]) / gelu_grad(dx, dy, x, n, tanh): erf GELU, or the tanh form       */ \
  X(GELU, gelu, "ppli")                                                                            \
  X(GELU_GRAD, gelu_grad, "pppli")                                                                 \
  /* activation_flags(flags[u8*], x, n, kind[i32]): Approx-BP segment of each x (kind 0       */ \
  /* ReSiLU2, 1 ReGELU2), 2 bits each, element i in byte i/4 at bits 2(i mod 4); unused bits 0 */ \
  X(ACTIVATION_FLAGS, activation_flags, "ppli")                                                    \
  /* activation_grad_flags(dx, dy, flags[u8*], n, kind[i32]): dx = dy * level(flag)             */ \
  X(ACTIVATION_GRAD_FLAGS, activation_grad_flags, "pppli")                                         \
  /* quantize(out[u8*], x, rows, channels, group, bits[i32], stochastic[i32], seed, step[i32*]):*/ \
  /*   Mesa stash codes of a [rows, channels] tensor in groups of `group` channels of a row   */ \
  /*   (a row's last group shorter when group does not divide channels; group k is row        */ \
  /*   k / ceil(channels / group)); per group lo = min, a = max - lo, step = a / (2^bits - 1) */ \
  /*   (0 when a = 0); q = clamp(floor((x - lo) / step + u), 0, 2^bits - 1), u = 0.5, or      */ \
  /*   slimtune_counter_uniform(seed, *step, i) when stochastic; out = [f32 step, f32 lo] per */ \
  /*   group, then the codes packed bits-wide, element i at bit i*bits of the code bytes     */ \
  /*   (low bits first)                                                                        */ \
  X(QUANTIZE, quantize, "ppllliilp")                                                               \
  /* dequantize(y, in[u8*], rows, channels, group, bits[i32]): y = q * step + lo               */ \
  X(DEQUANTIZE, dequantize, "ppllli")                                                              \
  /* add(y, a, b, n), mul(y, a, b, n): elementwise; y may alias a or b                         */ \
  X(ADD, add, "pppl")                                                                              \
  X(MUL, mul, "pppl")                                                                              \
  /* fill_zero(y, bytes)                                                                         */ \
  X(FILL_ZERO, fill_zero, "pl")                                                                    \
  /* copy_columns(dst, src, rows, src_cols, dst_cols, src_offset, dst_offset, width):           */ \
  /* dst[r, dst_offset + j] = src[r, src_offset + j] for j < width (slices and concats)         */ \
  X(COPY_COLUMNS, copy_columns, "ppllllll")                                                        \
  /* cross_entropy(loss, dlogits?, logits, targets[i32], n, vocab, ignore_index[i32]):          */ \
  /*   *loss = mean over rows with target != ignore of logsumexp(row) - row[target] (0 if none); */ \
  /*   dlogits = (softmax - onehot) / count, zero on ignored rows; may alias logits             */ \
  X(CROSS_ENTROPY, cross_entropy, "pppplli")                                                       \
  /* sum_squares(acc[f64*], x, n): *acc += sum of x^2                                            */ \
  X(SUM_SQUARES, sum_squares, "ppl")                                                               \
  /* sqrt_f64(out[f32*], acc[f64*]): *out = sqrt(*acc)                                           */ \
  X(SQRT_F64, sqrt_f64, "pp")                                                                      \
  /* adamw(p, m, v, g, n, lr[f32*], step[i32*], sum_squares[f64*]?, max_norm, beta1, beta2,     */ \
  /* eps, weight_decay): decoupled weight decay, bias correction with t = *step + 1; g scaled by */ \
  /* min(1, max_norm / (sqrt(*sum_squares) + 1e-6)) when max_norm > 0; p, m, v in place          */ \
  X(ADAMW, adamw, "pppplpppfffff")                                                                 \
  /* merge_lora(w2, w, a, b, in, out, r, scale, layout[i32]): a LoRA adapter folded into its     */ \
  /* weight, in fp32: w2 = w + scale B A with W [out, in] (layout 0), or w + scale (B A)^T with  */ \
  /* W [in, out] (layout 1); A [r, in], B [out, r]; w2 may alias w                              */ \
  X(MERGE_LORA, merge_lora, "pppplllfi")                                                           \
  /* normalize(z, rstd, x, n, c, eps, kind[i32]): kind 0 rms: z = x r, r = rsqrt(mean(x^2) +    */ \
  /* eps); kind 1 layer: z = (x - mean) r, r = rsqrt(var + eps); rstd[i] = r                    */ \
  X(NORMALIZE, normalize, "pppllfi")                                                               \
  /* normalize_grad(dx, dz, z, rstd, n, c, kind[i32]): dx from z and rstd alone:               */ \
  /* rstd (dz - z mean(dz z)) (rms), minus rstd mean(dz) as well (layer)                       */ \
  X(NORMALIZE_GRAD, normalize_grad, "pppplli")                                                     \
  /* scale_shift(y, x, scale, shift?, n, c): y = x scale + shift per channel; y may alias x    */ \
  X(SCALE_SHIFT, scale_shift, "ppppll")                                                           \
  /* quantize_ema(out[u8*], x, range, rows, channels, group, bits[i32], stochastic[i32], seed,  */ \
  /*   step[i32*], decay): quantize with Mesa's moving range per channel group c (channels   */ \
  /*   [c*group, (c+1)*group) of every row, the last one shorter when group does not divide  */ \
  /*   channels): range[2c], range[2c+1] = the batch's min and max                          */ \
  /*   over all rows at step 0, else decay * range + (1 - decay) * the batch's; every row's   */ \
  /*   group is then coded as quantize does with lo = range[2c], a = range[2c+1] - lo (values */ \
  /*   outside clamp); same output layout, read by dequantize; range updated in place        */ \
  X(QUANTIZE_EMA, quantize_ema, "pppllliilpf")                                                    \
  /* linear_bf16(y, x, w[bf16], b?, work, n, in, out, layout[i32]): y = bf16(x) W^T + b with W  */ \
  /*   [out, in] (layout 0), or y = bf16(x) W + b with W [in, out] (layout 1); the products of  */ \
  /*   the bf16 values summed in fp32; b and y fp32; work: n*in bf16 values (bf16(x), the       */ \
  /*   GEMM's input), i.e. (n*in + 1) / 2 floats                                                */ \
  X(LINEAR_BF16, linear_bf16, "pppppllli")                                                         \
  /* embedding_bf16(out, table[bf16], ids[i32], n, c, vocab): out[i, :] = table[ids[i], :]     */ \
  /*   widened to fp32                                                                          */ \
  X(EMBEDDING_BF16, embedding_bf16, "ppplll")                                                      \
  /* scaled_add(y, a, b, n, alpha, beta): y = alpha a + beta b, rounded once from fp32 products; */ \
  /*   b is not read when beta = 0 (y = alpha a); y may alias a or b                           */ \
  X(SCALED_ADD, scaled_add, "ppplff")                                                             \
  /* sampled_linear_grad(dx, new_columns[i32*], columns[i32*], dy, w, left, right, norms, work, */ \
  /* n, in, out, k, r, refresh, layout[i32], w_bf16[i32], step[i32*]): CE-LoRA's input         */ \
  /* gradient through a frozen W (layout as linear's; f32, or bf16 bits when w_bf16) with its  */ \
  /* rank-r SVD pair W ~ left right as stored (f32) and the residual's per-feature norms [out]: */ \
  /* new_columns = the k output features j with the highest ||dy[:, j]|| * norms[j] (fp32 sums */ \
  /* in row order, ties to the lower j), ascending, when *step % refresh == 0, else columns    */ \
  /* (may alias); dx = dy[:, S] W[S] + (dy[:, ~S] L[~S]) R, S = new_columns, L R = the pair   */ \
  /* with L [out, r] (left, or right^T for layout 1), R [r, in]; dx = dy W when *step == 0;    */ \
  /* fails on an entry of S outside [0, out) or repeated; work: the backend's size             */ \
  X(SAMPLED_LINEAR_GRAD, sampled_linear_grad, "ppppppppplllllliip")                              \
  /* linear_cross_entropy(loss, dx?, x, w, targets[i32], work, n, in, vocab, chunk, layout[i32], */ \
  /*   w_format[i32], ignore_index[i32]): cross_entropy of the logits x W^T (W [vocab, in],     */ \
  /*   layout 0) or x W (W [in, vocab], layout 1), as linear (f32 W), linear_bf16 (bf16) or     */ \
  /*   linear_blocks (blocks) computes them, chunk rows at a time; dx (when not null) =         */ \
  /*   dlogits W as [vocab, in], with dlogits rounded to bf16 for it when W is bf16; work: the  */ \
  /*   backend's size (one chunk's logits, and its weight format's own)                         */ \
  X(LINEAR_CROSS_ENTROPY, linear_cross_entropy, "pppppplllliii")                                 \
  /* linear_blocks(y, x, w[u8], b?, work, n, in, out, layout[i32], w_format[i32]): y = x W^T + b */ \
  /*   (W [out, in], layout 0) or x W + b (W [in, out], layout 1) with W in ggml blocks along    */ \
  /*   its stored rows (w_format Q8_0, Q4_0 or Q4_1), decoded exactly to fp32; fp32 products    */ \
  /*   and sums; work: the backend's size                                                        */ \
  X(LINEAR_BLOCKS, linear_blocks, "ppppplllii")                                                  \
  /* embedding_blocks(out, table[u8], ids[i32], n, c, vocab, w_format[i32]): out[i, :] =        */ \
  /*   table[ids[i], :] decoded from its blocks                                                  */ \
  X(EMBEDDING_BLOCKS, embedding_blocks, "pppllli")
/* clang-format on */

typedef enum slimtune_kernel_id {
#define SLIMTUNE_KERNEL_ENUM(ID, name, signature) SLIMTUNE_KERNEL_##ID,
  SLIMTUNE_KERNELS(SLIMTUNE_KERNEL_ENUM)
#undef SLIMTUNE_KERNEL_ENUM
      SLIMTUNE_KERNEL_COUNT
} slimtune_kernel_id;

/* What a kernel returns. */
typedef enum slimtune_kernel_status {
  SLIMTUNE_KERNEL_OK = 0,
  SLIMTUNE_KERNEL_INVALID_ARGUMENT = 1, /* a size or value the kernel cannot handle */
  SLIMTUNE_KERNEL_DEVICE_ERROR = 2,     /* the device or a library it calls failed */
  SLIMTUNE_KERNEL_OUT_OF_MEMORY = 3     /* scratch memory the library wanted was refused */
} slimtune_kernel_status;

/* What the runtime passes to the step. */
typedef struct slimtune_step_args {
  uint32_t abi_version;    /* SLIMTUNE_ABI_VERSION */
  uint8_t *arena;          /* the planned activations and workspace, 64-byte aligned */
  void *const *buffers;    /* one pointer per manifest buffer, in manifest order */
  void *const *kernels;    /* SLIMTUNE_KERNEL_COUNT function pointers */
  void *device_context;    /* every kernel's first argument */
  int32_t *failed_kernel;  /* set to the id of the kernel that failed, when one does */
} slimtune_step_args;

#define SLIMTUNE_STEP_SYMBOL "slimtune_artifact_step"
#define SLIMTUNE_MANIFEST_SYMBOL "slimtune_artifact_manifest"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SLIMTUNE_KERNEL_ABI_H */
