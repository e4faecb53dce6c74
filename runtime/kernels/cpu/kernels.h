// The CPU kernels a compiled step calls (through the table of kernel_abi.h), each with a plain
// reference implementation beside the fast one. References are templates so that tests can
// run them in double precision (finite differences); the fast versions are fp32 and use both
// cores (OpenMP) and BLAS. Semantics of every kernel: see SLIMTUNE_KERNELS in kernel_abi.h;
// workspace sizes: workspace.h.
#ifndef SLIMTUNE_KERNELS_CPU_KERNELS_H
#define SLIMTUNE_KERNELS_CPU_KERNELS_H

#include "slimtune/kernel_abi.h"

#include <cstdint>

namespace slimtune::cpu {

// Fast versions, with the exact parameter types the ABI signature strings describe, without the
// device context and returning nothing: the tables wrap them (abi_wrapper.h).
void embedding(float *out, const float *table, const int32_t *ids, int64_t n, int64_t c,
               int64_t vocab);
void positionEmbedding(float *out, const float *table, int64_t b, int64_t t, int64_t c);
void rmsNorm(float *y, const float *x, const float *scale, int64_t n, int64_t c, float eps);
void rmsNormGrad(float *dx, const float *dy, const float *x, const float *scale, int64_t n,
                 int64_t c, float eps);
void layerNorm(float *y, const float *x, const float *scale, const float *shift, int64_t n,
               int64_t c, float eps);
void layerNormGrad(float *dx, const float *dy, const float *x, const float *scale, int64_t n,
                   int64_t c, float eps);
void normalize(float *z, float *rstd, const float *x, int64_t n, int64_t c, float eps,
               int32_t kind);
void normalizeGrad(float *dx, const float *dz, const float *z, const float *rstd, int64_t n,
                   int64_t c, int32_t kind);
void scaleShift(float *y, const float *x, const float *scale, const float *shift, int64_t n,
                int64_t c);
// The kernels built on cpu::gemm return its status (SLIMTUNE_KERNEL_OK, or why the library
// failed); the others cannot fail.
[[nodiscard]] int32_t linear(float *y, const float *x, const float *w, const float *b, int64_t n,
                             int64_t in, int64_t out, int32_t layout);
[[nodiscard]] int32_t weightGrad(float *dw, const float *dy, const float *x, int64_t n, int64_t in,
                                 int64_t out, int32_t layout);
void sumRows(float *db, const float *dy, int64_t n, int64_t c);
[[nodiscard]] int32_t lora(float *y, const float *x, const float *a, const float *b, float *work,
                           int64_t n, int64_t in, int64_t out, int64_t r, float scale, float p,
                           int64_t seed, const int32_t *step);
[[nodiscard]] int32_t loraGrad(float *dx, float *da, float *db, const float *dy, const float *x,
                               const float *a, const float *b, float *work, int64_t n, int64_t in,
                               int64_t out, int64_t r, float scale, float p, int64_t seed,
                               const int32_t *step);
// CE-LoRA: dx = dy[:, S] W[S] + (dy[:, ~S] L[~S]) R for the k selected output features S
// (dy W on step 0), S chosen again when *step % refresh == 0; w is f32 or bf16 bits (wBf16).
// Fails on an S entry outside [0, out) or repeated (a corrupt checkpoint's state), or on k, r
// or refresh out of range.
[[nodiscard]] int32_t sampledLinearGrad(float *dx, int32_t *newColumns, const int32_t *columns,
                                        const float *dy, const void *w, const float *left,
                                        const float *right, const float *norms, float *work,
                                        int64_t n, int64_t in, int64_t out, int64_t k, int64_t r,
                                        int64_t refresh, int32_t layout, int32_t wBf16,
                                        const int32_t *step);
void rope(float *y, const float *x, int64_t b, int64_t t, int64_t channels, int64_t headDim,
          float theta, int32_t inverse);
void attention(float *o, float *lse, const float *q, const float *k, const float *v, float *work,
               int64_t b, int64_t t, int64_t heads, int64_t kvHeads, int64_t headDim,
               float scale);
void attentionGrad(float *dq, float *dk, float *dv, const float *q, const float *k,
                   const float *v, const float *o, const float *lse, const float *dout,
                   float *work, int64_t b, int64_t t, int64_t heads, int64_t kvHeads,
                   int64_t headDim, float scale);
void silu(float *y, const float *x, int64_t n);
void siluGrad(float *dx, const float *dy, const float *x, int64_t n);
void gelu(float *y, const float *x, int64_t n, int32_t tanhApproximation);
void geluGrad(float *dx, const float *dy, const float *x, int64_t n, int32_t tanhApproximation);
void activationFlags(uint8_t *flags, const float *x, int64_t n, int32_t kind);
void activationGradFlags(float *dx, const float *dy, const uint8_t *flags, int64_t n,
                         int32_t kind);
void quantize(uint8_t *out, const float *x, int64_t rows, int64_t channels, int64_t group,
              int32_t bits, int32_t stochastic, int64_t seed, const int32_t *step);
void dequantize(float *y, const uint8_t *in, int64_t rows, int64_t channels, int64_t group,
                int32_t bits);
void quantizeEma(uint8_t *out, const float *x, float *range, int64_t rows, int64_t channels,
                 int64_t group, int32_t bits, int32_t stochastic, int64_t seed,
                 const int32_t *step, float decay);
void add(float *y, const float *a, const float *b, int64_t n);
void mul(float *y, const float *a, const float *b, int64_t n);
void scaledAdd(float *y, const float *a, const float *b, int64_t n, float alpha, float beta);
void fillZero(void *y, int64_t bytes);
void copyColumns(float *dst, const float *src, int64_t rows, int64_t srcCols, int64_t dstCols,
                 int64_t srcOffset, int64_t dstOffset, int64_t width);
void crossEntropy(float *loss, float *dlogits, const float *logits, const int32_t *targets,
                  int64_t n, int64_t vocab, int32_t ignoreIndex);
// cross_entropy's parts, for kernels that see the rows a chunk at a time: the number of
// non-ignored targets, and a chunk's sum of loss terms (in double, reproducibly) with its
// dlogits scaled by 1 / count, the whole batch's count.
int64_t countTargets(const int32_t *targets, int64_t n, int32_t ignoreIndex);
double crossEntropySum(float *dlogits, const float *logits, const int32_t *targets, int64_t n,
                       int64_t vocab, int32_t ignoreIndex, int64_t count);
// linear_cross_entropy: the head and the loss, chunk rows at a time (kernel_abi.h); work is
// slimtune_cpu_linear_cross_entropy_work floats.
[[nodiscard]] int32_t linearCrossEntropy(float *loss, float *dx, const float *x, const void *w,
                                         const int32_t *targets, float *work, int64_t n,
                                         int64_t in, int64_t vocab, int64_t chunk,
                                         int32_t layout, int32_t wFormat, int32_t ignoreIndex);
void sumSquares(double *acc, const float *x, int64_t n);
void sqrtF64(float *out, const double *acc);
void adamw(float *p, float *m, float *v, const float *g, int64_t n, const float *lr,
           const int32_t *step, const double *sumSquares, float maxNorm, float beta1,
           float beta2, float eps, float weightDecay);
// Also what `slimtune export --format merged` folds adapters with (slimtune/merge_lora.h).
[[nodiscard]] int32_t mergeLora(float *merged, const float *w, const float *a, const float *b,
                                int64_t in, int64_t out, int64_t r, float scale, int32_t layout);
// bf16 weights (uint16_t bit patterns, kernels/common/bf16.h). linear_bf16 rounds x into
// `work` and runs oneDNN's bf16 matmul, or, where oneDNN has none for the CPU, widens both
// operands to fp32 there a panel at a time for the fp32 GEMM, which sums the
// same exact products. setBf16Gemm(false) forces the widened path (tests); it returns whether
// the bf16 matmul is now in use.
[[nodiscard]] int32_t linearBf16(float *y, const float *x, const uint16_t *w, const float *b,
                                 uint16_t *work, int64_t n, int64_t in, int64_t out,
                                 int32_t layout);
bool setBf16Gemm(bool enabled);
void embeddingBf16(float *out, const uint16_t *table, const int32_t *ids, int64_t n, int64_t c,
                   int64_t vocab);
// Weights in ggml blocks (kernels/cpu/weight_blocks.h; format: slimtune_weight_format).
// linear_blocks decodes W into `work` (slimtune_cpu_linear_blocks_work floats) a panel at a
// time for the fp32 GEMM; embedding_blocks decodes the gathered rows.
[[nodiscard]] int32_t linearBlocks(float *y, const float *x, const uint8_t *w, const float *b,
                                   float *work, int64_t n, int64_t in, int64_t out,
                                   int32_t layout, int32_t format);
[[nodiscard]] int32_t embeddingBlocks(float *out, const uint8_t *table, const int32_t *ids,
                                      int64_t n, int64_t c, int64_t vocab, int32_t format);
// y += b broadcast over n rows of out (the linear kernels' bias pass).
void addBias(float *y, const float *b, int64_t n, int64_t out);

// The table of function pointers, indexed by slimtune_kernel_id, that a step is given (the
// kernels with the ABI's C type, context first; the CPU's context is NULL).
void *const *kernelTable();
// The same with every kernel's plain reference (fp32): for checking whole steps.
void *const *referenceKernelTable();

} // namespace slimtune::cpu

#endif // SLIMTUNE_KERNELS_CPU_KERNELS_H
