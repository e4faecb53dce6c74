// Plain reference of the head fused with its loss (LINEAR_CROSS_ENTROPY in kernel_abi.h): by
// definition, unfused and unchunked — the whole logits through the linear and cross-entropy
// references, then dx = dlogits W — templated on the element type so that tests can run it in
// double precision. A bf16 weight is widened exactly and the inputs of both products rounded
// to bf16, as linear_bf16 does; a weight in blocks is decoded exactly (linear_blocks).
#ifndef SLIMTUNE_KERNELS_CPU_LINEAR_CROSS_ENTROPY_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_LINEAR_CROSS_ENTROPY_REFERENCE_H

#include "kernels/common/bf16.h"
#include "kernels/cpu/cross_entropy_reference.h"
#include "kernels/cpu/linear_reference.h"
#include "slimtune/kernel_abi.h"

#include <cstdint>
#include <vector>

namespace slimtune::cpu::reference {

template <typename T>
int32_t linearCrossEntropy(T *loss, T *dx, const T *x, const void *w, const int32_t *targets,
                           T *, int64_t n, int64_t in, int64_t vocab, int64_t chunk,
                           int32_t layout, int32_t wFormat, int32_t ignoreIndex) {
  if (chunk < 1)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  const bool bf16 = wFormat == SLIMTUNE_WEIGHT_BF16;
  auto rounded = [&](const T *v, int64_t count) {
    std::vector<T> out(v, v + count);
    if (bf16)
      for (T &e : out)
        e = static_cast<T>(common::roundToBf16(static_cast<float>(e)));
    return out;
  };
  std::vector<T> weight(in * vocab);
  if (wFormat > SLIMTUNE_WEIGHT_BF16) {
    if (blockBytes(wFormat) == 0 || (layout == 0 ? in : vocab) % kBlockElements != 0)
      return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
    std::vector<float> decoded(static_cast<size_t>(in * vocab));
    decodeBlocks(wFormat, static_cast<const uint8_t *>(w), decoded.data(), in * vocab);
    for (int64_t i = 0; i < in * vocab; ++i)
      weight[i] = static_cast<T>(decoded[i]);
  } else {
    for (int64_t i = 0; i < in * vocab; ++i)
      weight[i] = bf16 ? static_cast<T>(common::bf16BitsToF32(static_cast<const uint16_t *>(w)[i]))
                       : static_cast<T>(static_cast<const T *>(w)[i]);
  }
  std::vector<T> logits(n * vocab);
  linear<T>(logits.data(), rounded(x, n * in).data(), weight.data(), nullptr, n, in, vocab,
            layout);
  crossEntropy<T>(loss, dx ? logits.data() : nullptr, logits.data(), targets, n, vocab,
                  ignoreIndex);
  if (dx)
    linear<T>(dx, rounded(logits.data(), n * vocab).data(), weight.data(), nullptr, n, vocab, in,
              layout == 0 ? 1 : 0);
  return SLIMTUNE_KERNEL_OK;
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_LINEAR_CROSS_ENTROPY_REFERENCE_H
