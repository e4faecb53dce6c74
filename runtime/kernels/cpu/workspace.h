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

/* linear_bf16: bf16(x), n*in bf16 values, rounded once rather than once per output that
 * reads it; in floats, rounded up. */
static inline int64_t slimtune_cpu_linear_bf16_work(int64_t n, int64_t in) {
  return (n * in + 1) / 2;
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
