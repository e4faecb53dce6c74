/* What the compiler must know of the CUDA kernels (dialects/slim/KernelTarget.h, target
 * "cuda"): the workspace those that take one need, in floats, which it plans exactly, and
 * their limits. Plain C, like the CPU's (runtime/kernels/cpu/workspace.h); the sizes happen
 * to be the CPU's, each for its own reason below. */
#ifndef SLIMTUNE_KERNELS_CUDA_WORKSPACE_H
#define SLIMTUNE_KERNELS_CUDA_WORKSPACE_H

#include <stdint.h>

/* The attention kernels keep a row's accumulators in registers, up to this head dimension; the
 * compiler refuses a step with a larger one for this target. */
#define SLIMTUNE_CUDA_MAX_HEAD_DIM 256

/* lora: u = drop(x) A^T (n*r) between the two GEMMs, plus drop(x) (n*in) when dropout is on. */
static inline int64_t slimtune_cuda_lora_work(int64_t n, int64_t in, int64_t r, float p) {
  return n * r + (p > 0 ? n * in : 0);
}
/* lora_grad: u and du (2*n*r), plus drop(x) when dropout is on. */
static inline int64_t slimtune_cuda_lora_grad_work(int64_t n, int64_t in, int64_t r, float p) {
  return 2 * n * r + (p > 0 ? n * in : 0);
}
/* attention: the flash-style forward keeps its running max and sum in registers and writes
 * only lse; the ABI's one float per (batch, head, row) is kept (unused) so that both targets
 * plan the same step. */
static inline int64_t slimtune_cuda_attention_work(int64_t b, int64_t t, int64_t heads) {
  return b * heads * t;
}
/* attention_grad: D = rowsum(dO * O) per (batch, head, row), first half; the second half is
 * unused (the CPU keeps a score row there). */
static inline int64_t slimtune_cuda_attention_grad_work(int64_t b, int64_t t, int64_t heads) {
  return 2 * b * heads * t;
}

/* linear_bf16: bf16(x), n*in bf16 values, cuBLAS's A operand (both GEMM operands must be bf16
 * for the tensor cores); in floats, rounded up. */
static inline int64_t slimtune_cuda_linear_bf16_work(int64_t n, int64_t in, int64_t out) {
  (void)out;
  return (n * in + 1) / 2;
}

/* linear_blocks: none; the CUDA backend has no kernels for weights in ggml blocks (the
 * compiler refuses such a step for this target). */
static inline int64_t slimtune_cuda_linear_blocks_work(int64_t n, int64_t in, int64_t out) {
  (void)n, (void)in, (void)out;
  return 0;
}

/* linear_cross_entropy: as the CPU's: one chunk's logits, and with a bf16 weight (format 1,
 * kernel_abi.h) linear_bf16's workspace for the chunk's logits or its input gradient. */
static inline int64_t slimtune_cuda_linear_cross_entropy_work(int64_t n, int64_t in,
                                                              int64_t vocab, int64_t chunk,
                                                              int32_t format) {
  const int64_t rows = chunk < n ? chunk : n;
  int64_t work = rows * vocab;
  if (format == 1) {
    const int64_t logits = slimtune_cuda_linear_bf16_work(rows, in, vocab);
    const int64_t grad = slimtune_cuda_linear_bf16_work(rows, vocab, in);
    work += logits > grad ? logits : grad;
  }
  return work;
}

/* sampled_linear_grad: as the CPU's: scores (their space then the dropped features' flags),
 * feature ids, dy's gathered columns, the weight's kept features, the pair's dropped rows and
 * their product with dy. */
static inline int64_t slimtune_cuda_sampled_linear_grad_work(int64_t n, int64_t in, int64_t out,
                                                             int64_t k, int64_t r) {
  const int64_t m = out - k;
  return 2 * out + n * (k > m ? k : m) + k * in + m * r + n * r;
}

#endif /* SLIMTUNE_KERNELS_CUDA_WORKSPACE_H */
