// The CUDA kernels a compiled step calls (through the table of kernel_abi.h), on device
// pointers, fp32. Each has the ABI's C type itself: the context (cuda_context.h: stream,
// cuBLAS handle, scratch) first, a status returned. Semantics of every kernel: SLIMTUNE_KERNELS
// in kernel_abi.h; the plain references they are tested against are the CPU's
// (runtime/kernels/cpu/*_reference.h); workspace sizes: workspace.h.
//
// Every kernel queues its work on the context's stream and returns without waiting; a launch
// that fails returns SLIMTUNE_KERNEL_DEVICE_ERROR with the CUDA error's name kept in the
// context. Sizes of 0 launch nothing.
#ifndef SLIMTUNE_KERNELS_CUDA_KERNELS_H
#define SLIMTUNE_KERNELS_CUDA_KERNELS_H

#include <cstdint>

namespace slimtune::cuda {

int32_t embedding(void *context, float *out, const float *table, const int32_t *ids, int64_t n,
                  int64_t c, int64_t vocab);
int32_t positionEmbedding(void *context, float *out, const float *table, int64_t b, int64_t t,
                          int64_t c);
int32_t rmsNorm(void *context, float *y, const float *x, const float *scale, int64_t n, int64_t c,
                float eps);
int32_t rmsNormGrad(void *context, float *dx, const float *dy, const float *x, const float *scale,
                    int64_t n, int64_t c, float eps);
int32_t layerNorm(void *context, float *y, const float *x, const float *scale, const float *shift,
                  int64_t n, int64_t c, float eps);
int32_t layerNormGrad(void *context, float *dx, const float *dy, const float *x, const float *scale,
                      int64_t n, int64_t c, float eps);
int32_t normalize(void *context, float *z, float *rstd, const float *x, int64_t n, int64_t c,
                  float eps, int32_t kind);
int32_t normalizeGrad(void *context, float *dx, const float *dz, const float *z, const float *rstd,
                      int64_t n, int64_t c, int32_t kind);
int32_t scaleShift(void *context, float *y, const float *x, const float *scale, const float *shift,
                   int64_t n, int64_t c);
int32_t linear(void *context, float *y, const float *x, const float *w, const float *b, int64_t n,
               int64_t in, int64_t out, int32_t layout);
int32_t weightGrad(void *context, float *dw, const float *dy, const float *x, int64_t n, int64_t in,
                   int64_t out, int32_t layout);
int32_t sumRows(void *context, float *db, const float *dy, int64_t n, int64_t c);
int32_t lora(void *context, float *y, const float *x, const float *a, const float *b, float *work,
             int64_t n, int64_t in, int64_t out, int64_t r, float scale, float p, int64_t seed,
             const int32_t *step);
int32_t loraGrad(void *context, float *dx, float *da, float *db, const float *dy, const float *x,
                 const float *a, const float *b, float *work, int64_t n, int64_t in, int64_t out,
                 int64_t r, float scale, float p, int64_t seed, const int32_t *step);
int32_t rope(void *context, float *y, const float *x, int64_t b, int64_t t, int64_t channels,
             int64_t headDim, float theta, int32_t inverse);
int32_t attention(void *context, float *o, float *lse, const float *q, const float *k,
                  const float *v, float *work, int64_t b, int64_t t, int64_t heads, int64_t kvHeads,
                  int64_t headDim, float scale);
int32_t attentionGrad(void *context, float *dq, float *dk, float *dv, const float *q,
                      const float *k, const float *v, const float *o, const float *lse,
                      const float *dout, float *work, int64_t b, int64_t t, int64_t heads,
                      int64_t kvHeads, int64_t headDim, float scale);
int32_t silu(void *context, float *y, const float *x, int64_t n);
int32_t siluGrad(void *context, float *dx, const float *dy, const float *x, int64_t n);
int32_t gelu(void *context, float *y, const float *x, int64_t n, int32_t tanhApproximation);
int32_t geluGrad(void *context, float *dx, const float *dy, const float *x, int64_t n,
                 int32_t tanhApproximation);
int32_t activationFlags(void *context, uint8_t *flags, const float *x, int64_t n, int32_t kind);
int32_t activationGradFlags(void *context, float *dx, const float *dy, const uint8_t *flags,
                            int64_t n, int32_t kind);
int32_t quantize(void *context, uint8_t *out, const float *x, int64_t rows, int64_t channels,
                 int64_t group, int32_t bits, int32_t stochastic, int64_t seed,
                 const int32_t *step);
int32_t dequantize(void *context, float *y, const uint8_t *in, int64_t rows, int64_t channels,
                   int64_t group, int32_t bits);
int32_t quantizeEma(void *context, uint8_t *out, const float *x, float *range, int64_t rows,
                    int64_t channels, int64_t group, int32_t bits, int32_t stochastic, int64_t seed,
                    const int32_t *step, float decay);
int32_t add(void *context, float *y, const float *a, const float *b, int64_t n);
int32_t mul(void *context, float *y, const float *a, const float *b, int64_t n);
int32_t scaledAdd(void *context, float *y, const float *a, const float *b, int64_t n,
                  float alpha, float beta);
int32_t fillZero(void *context, void *y, int64_t bytes);
int32_t sampledLinearGrad(void *context, float *dx, int32_t *newColumns, const int32_t *columns,
                          const float *dy, const void *w, const float *left, const float *right,
                          const float *norms, float *work, int64_t n, int64_t in, int64_t out,
                          int64_t k, int64_t r, int64_t refresh, int32_t layout, int32_t wBf16,
                          const int32_t *step);
int32_t copyColumns(void *context, float *dst, const float *src, int64_t rows, int64_t srcCols,
                    int64_t dstCols, int64_t srcOffset, int64_t dstOffset, int64_t width);
int32_t crossEntropy(void *context, float *loss, float *dlogits, const float *logits,
                     const int32_t *targets, int64_t n, int64_t vocab, int32_t ignoreIndex);
int32_t sumSquares(void *context, double *acc, const float *x, int64_t n);
int32_t sqrtF64(void *context, float *out, const double *acc);
int32_t adamw(void *context, float *p, float *m, float *v, const float *g, int64_t n,
              const float *lr, const int32_t *step, const double *sumSquares, float maxNorm,
              float beta1, float beta2, float eps, float weightDecay);
int32_t mergeLora(void *context, float *merged, const float *w, const float *a, const float *b,
                  int64_t in, int64_t out, int64_t r, float scale, int32_t layout);
// bf16 weights (uint16_t bit patterns, kernels/common/bf16.h): linear_bf16 rounds x into work
// (slimtune_cuda_linear_bf16_work), then one bf16 cuBLAS GEMM with fp32 sums.
int32_t linearBf16(void *context, float *y, const float *x, const uint16_t *w, const float *b,
                   uint16_t *work, int64_t n, int64_t in, int64_t out, int32_t layout);
int32_t linearCrossEntropy(void *context, float *loss, float *dx, const float *x, const void *w,
                           const int32_t *targets, float *work, int64_t n, int64_t in,
                           int64_t vocab, int64_t chunk, int32_t layout, int32_t wFormat,
                           int32_t ignoreIndex);
int32_t embeddingBf16(void *context, float *out, const uint16_t *table, const int32_t *ids,
                      int64_t n, int64_t c, int64_t vocab);
// Weights in ggml blocks: no CUDA kernels yet; these return SLIMTUNE_KERNEL_INVALID_ARGUMENT
// (slim-plan-memory refuses such a step for the cuda target, so a step never calls them).
int32_t linearBlocks(void *context, float *y, const float *x, const uint8_t *w, const float *b,
                     float *work, int64_t n, int64_t in, int64_t out, int32_t layout,
                     int32_t format);
int32_t embeddingBlocks(void *context, float *out, const uint8_t *table, const int32_t *ids,
                        int64_t n, int64_t c, int64_t vocab, int32_t format);

// The table of function pointers, indexed by slimtune_kernel_id, that a step is given.
void *const *kernelTable();

} // namespace slimtune::cuda

#endif // SLIMTUNE_KERNELS_CUDA_KERNELS_H
