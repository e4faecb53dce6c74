/* Workspace the CPU kernels that take one need, in floats: the compiler plans exactly this
 * (through dialects/slim/KernelTarget.h) and the kernels use no more. Plain C so that both the
 * compiler and the kernels include it; another backend states its own sizes beside its
 * kernels. */
#ifndef SLIMTUNE_KERNELS_CPU_WORKSPACE_H
#define SLIMTUNE_KERNELS_CPU_WORKSPACE_H

#include <stdint.h>

/* lora: u = drop(x) A^T (n*r), plus drop(x) itself (n*in) when dropout is on. */
static inline int64_t slimtune_cpu_lora_work(int64_t n, int64_t in, int64_t r, float p) {
  return n * r + (p > 0 ? n * in : 0);
}
/* lora_grad: u and du (2*n*r), plus drop(x) when dropout is on. */
static inline int64_t slimtune_cpu_lora_grad_work(int64_t n, int64_t in, int64_t r, float p) {
  return 2 * n * r + (p > 0 ? n * in : 0);
}
/* attention: one running sum per (batch, head, row). */
static inline int64_t slimtune_cpu_attention_work(int64_t b, int64_t t, int64_t heads) {
  return b * heads * t;
}
/* attention_grad: the rows' D = rowsum(dO * O) and a score row per (batch, head). */
static inline int64_t slimtune_cpu_attention_grad_work(int64_t b, int64_t t, int64_t heads) {
  return 2 * b * heads * t;
}

/* Where the CPU has no bf16 matmul, bf16 frozen weights are widened to f32 a panel at a time,
 * each panel then f32 GEMMs: whole rows of W [out, in] (or columns of W [in, out]), at most
 * 4 Mi floats (16 MiB) per panel; the input, rounded to bf16 first, likewise in blocks of
 * whole rows of at most 4 Mi floats. Large enough that a panel is a whole projection of a
 * small model and a thousand rows of a 7B one and x is rounded once (smaller panels cost 15%
 * at LLaMA-7B's gate/up shape, bench-cpu-frozen-linear); small enough to stay out of a 7B
 * model's peak. */
#define SLIMTUNE_CPU_W_PANEL_FLOATS ((int64_t)1 << 22)
#define SLIMTUNE_CPU_X_BLOCK_FLOATS ((int64_t)1 << 22)
static inline int64_t slimtune_cpu_widen_rows(int64_t width, int64_t rows, int64_t floats) {
  const int64_t fit = floats / (width > 0 ? width : 1);
  return fit < 1 ? 1 : fit > rows ? rows : fit;
}

/* linear_bf16: bf16(x) (n*in bf16 values, the bf16 matmul's input), or, where the CPU has no
 * bf16 matmul, a block of bf16(x)'s rows and a panel of W widened to f32; the larger. */
static inline int64_t slimtune_cpu_linear_bf16_work(int64_t n, int64_t in, int64_t out) {
  const int64_t rounded = (n * in + 1) / 2;
  const int64_t widened = (slimtune_cpu_widen_rows(in, n, SLIMTUNE_CPU_X_BLOCK_FLOATS) +
                           slimtune_cpu_widen_rows(in, out, SLIMTUNE_CPU_W_PANEL_FLOATS)) *
                          in;
  return rounded > widened ? rounded : widened;
}

/* linear_blocks: one panel of W decoded to f32, whole stored rows of W at a time (at most
 * SLIMTUNE_CPU_W_PANEL_FLOATS, in multiples of 32 outputs so that a panel of W [in, out]'s
 * columns starts and ends on a block), for the f32 GEMM; x is read as it is. */
static inline int64_t slimtune_cpu_blocks_panel_outputs(int64_t in, int64_t out) {
  int64_t p = slimtune_cpu_widen_rows(in, out, SLIMTUNE_CPU_W_PANEL_FLOATS);
  if (p < out)
    p = p < 32 ? 32 : p / 32 * 32;
  return p > out ? out : p;
}
static inline int64_t slimtune_cpu_linear_blocks_work(int64_t n, int64_t in, int64_t out) {
  (void)n;
  return slimtune_cpu_blocks_panel_outputs(in, out) * in;
}

/* linear_cross_entropy: one chunk's logits (min(chunk, n)*vocab; their gradient in place), and
 * with a bf16 or blocks weight (format, kernel_abi.h) linear_bf16's or linear_blocks'
 * workspace for the chunk's logits or its input gradient. */
static inline int64_t slimtune_cpu_linear_cross_entropy_work(int64_t n, int64_t in,
                                                             int64_t vocab, int64_t chunk,
                                                             int32_t format) {
  const int64_t rows = chunk < n ? chunk : n;
  int64_t work = rows * vocab;
  if (format == 1) {
    const int64_t logits = slimtune_cpu_linear_bf16_work(rows, in, vocab);
    const int64_t grad = slimtune_cpu_linear_bf16_work(rows, vocab, in);
    work += logits > grad ? logits : grad;
  } else if (format > 1) {
    const int64_t logits = slimtune_cpu_linear_blocks_work(rows, in, vocab);
    const int64_t grad = slimtune_cpu_linear_blocks_work(rows, vocab, in);
    work += logits > grad ? logits : grad;
  }
  return work;
}

/* sampled_linear_grad: the scores and feature ids (2*out), dy's gathered columns
 * (n*max(k, out-k)), the weight's kept features as f32 (k*in), the pair's dropped rows
 * ((out-k)*r) and their product with dy (n*r). */
static inline int64_t slimtune_cpu_sampled_linear_grad_work(int64_t n, int64_t in, int64_t out,
                                                            int64_t k, int64_t r) {
  const int64_t m = out - k;
  return 2 * out + n * (k > m ? k : m) + k * in + m * r + n * r;
}

#endif /* SLIMTUNE_KERNELS_CPU_WORKSPACE_H */
