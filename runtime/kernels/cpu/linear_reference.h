// Plain references of the dense layer and its parameter gradients, templated on the element
// type so tests can run them in double. Semantics: SLIMTUNE_KERNELS in kernel_abi.h.
#ifndef SLIMTUNE_KERNELS_CPU_LINEAR_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_LINEAR_REFERENCE_H

#include "kernels/common/bf16.h"
#include "kernels/cpu/weight_blocks.h"

#include <cstdint>
#include <vector>

namespace slimtune::cpu::reference {

// W[o, k] of either layout: [out, in] (layout 0, PyTorch's) or [in, out] (layout 1, GGUF's
// and Conv1D's).
template <typename T>
T weightAt(const T *w, int64_t o, int64_t k, int64_t in, int64_t out, int32_t layout) {
  return layout == 0 ? w[o * in + k] : w[k * out + o];
}

// y [n, out] = x [n, in] W^T + b [out] (b may be null).
template <typename T>
void linear(T *y, const T *x, const T *w, const T *b, int64_t n, int64_t in, int64_t out,
            int32_t layout) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o) {
      T sum = b ? b[o] : T(0);
      for (int64_t k = 0; k < in; ++k)
        sum += x[i * in + k] * weightAt(w, o, k, in, out, layout);
      y[i * out + o] = sum;
    }
}

// dW = dy^T x as [out, in] (layout 0) or its transpose x^T dy as [in, out] (layout 1);
// dy [n, out], x [n, in]. Overwrites dw.
template <typename T>
void weightGrad(T *dw, const T *dy, const T *x, int64_t n, int64_t in, int64_t out,
                int32_t layout) {
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < in; ++k) {
      T sum = 0;
      for (int64_t i = 0; i < n; ++i)
        sum += dy[i * out + o] * x[i * in + k];
      (layout == 0 ? dw[o * in + k] : dw[k * out + o]) = sum;
    }
}

// db [c] = column sums of dy [n, c].
template <typename T>
void sumRows(T *db, const T *dy, int64_t n, int64_t c) {
  for (int64_t j = 0; j < c; ++j) {
    T sum = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += dy[i * c + j];
    db[j] = sum;
  }
}

//===-- bf16 weights (kernel_abi.h: linear_bf16, embedding_bf16) -------------------------===//

// y [n, out] = bf16(x) W^T + b with W bf16, [out, in] (layout 0) or [in, out] (layout 1); b
// fp32, may be null. A product of two bf16 values is exact in fp32 (8-bit significands), so
// the fp32 sum is the only rounding after bf16(x): any backend's result differs from this one
// by summation order alone. Rounds x itself and so leaves the workspace alone.
inline void linearBf16(float *y, const float *x, const uint16_t *w, const float *b,
                       uint16_t * /*work*/, int64_t n, int64_t in, int64_t out, int32_t layout) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o) {
      float sum = b ? b[o] : 0.0f;
      for (int64_t k = 0; k < in; ++k)
        sum += common::roundToBf16(x[i * in + k]) *
               common::bf16BitsToF32(weightAt(w, o, k, in, out, layout));
      y[i * out + o] = sum;
    }
}

// out [n, c] fp32, table [vocab, c] bf16: out[i, :] = table[ids[i], :], widened exactly. Here
// rather than in embedding_reference.h so that the bf16 kernels' references sit together.
inline void embeddingBf16(float *out, const uint16_t *table, const int32_t *ids, int64_t n,
                          int64_t c, int64_t vocab) {
  (void)vocab; // ids were validated against vocab by the runtime
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      out[i * c + j] = common::bf16BitsToF32(table[static_cast<int64_t>(ids[i]) * c + j]);
}

//===-- Weights in ggml blocks (kernel_abi.h: linear_blocks, embedding_blocks) -----------===//

// W decoded whole (its stored rows, `width` elements each), then the plain linear: the fast
// kernel's sums differ from these by summation order alone.
inline int32_t linearBlocks(float *y, const float *x, const uint8_t *w, const float *b,
                            float * /*work*/, int64_t n, int64_t in, int64_t out, int32_t layout,
                            int32_t format) {
  if (blockBytes(format) == 0 || (layout == 0 ? in : out) % kBlockElements != 0)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  std::vector<float> weight(static_cast<size_t>(in * out));
  decodeBlocks(format, w, weight.data(), in * out);
  linear<float>(y, x, weight.data(), b, n, in, out, layout);
  return SLIMTUNE_KERNEL_OK;
}

inline int32_t embeddingBlocks(float *out, const uint8_t *table, const int32_t *ids, int64_t n,
                               int64_t c, int64_t vocab, int32_t format) {
  (void)vocab; // ids were validated against vocab by the runtime
  if (blockBytes(format) == 0 || c % kBlockElements != 0)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  const int64_t rowBytes = c / kBlockElements * blockBytes(format);
  for (int64_t i = 0; i < n; ++i)
    decodeBlocks(format, table + static_cast<int64_t>(ids[i]) * rowBytes, out + i * c, c);
  return SLIMTUNE_KERNEL_OK;
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_LINEAR_REFERENCE_H
