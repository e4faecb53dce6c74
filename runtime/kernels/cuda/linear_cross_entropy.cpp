// The language-model head fused with its loss on the GPU, as on the CPU
// (cpu/linear_cross_entropy.cpp): per chunk of rows, the logits into the workspace (cuBLAS
// through linear or linear_bf16), cross_entropy's row kernel over them (their gradient in
// place, scaled by the whole batch's count), and the chunk's rows of dx = dlogits W. All on the
// context's stream, in order; nothing waits.
#include "kernels/cuda/cross_entropy_parts.h"
#include "kernels/cuda/kernels.h"
#include "slimtune/kernel_abi.h"

#include <algorithm>

namespace slimtune::cuda {

int32_t linearCrossEntropy(void *context, float *loss, float *dx, const float *x, const void *w,
                           const int32_t *targets, float *work, int64_t n, int64_t in,
                           int64_t vocab, int64_t chunk, int32_t layout, int32_t wFormat,
                           int32_t ignoreIndex) {
  // Weights in ggml blocks have no CUDA kernels (the compiler refuses such steps here).
  if (chunk < 1 || wFormat > SLIMTUNE_WEIGHT_BF16)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  const bool wBf16 = wFormat == SLIMTUNE_WEIGHT_BF16;
  Context &ctx = *static_cast<Context *>(context);
  if (n <= 0) // no rows: the loss is 0
    return crossEntropy(context, loss, nullptr, nullptr, targets, 0, vocab, ignoreIndex);
  if (int32_t status = crossEntropyCount(ctx, targets, n, ignoreIndex))
    return status;
  float *logits = work;
  auto *rounding = reinterpret_cast<uint16_t *>(work + std::min(chunk, n) * vocab);
  const int32_t gradLayout = layout == 0 ? 1 : 0; // W read as [vocab, in]
  int64_t blocks = 0;
  for (int64_t row = 0; row < n; row += chunk) {
    const int64_t m = std::min(chunk, n - row);
    int32_t status =
        wBf16 ? linearBf16(context, logits, x + row * in, static_cast<const uint16_t *>(w),
                           nullptr, rounding, m, in, vocab, layout)
              : linear(context, logits, x + row * in, static_cast<const float *>(w), nullptr, m,
                       in, vocab, layout);
    if (status)
      return status;
    const int64_t written = crossEntropyRows(ctx, dx ? logits : nullptr, logits, targets + row, m,
                                             vocab, ignoreIndex, row > 0, &status);
    if (status)
      return status;
    blocks = std::max(blocks, written);
    if (!dx)
      continue;
    status = wBf16 ? linearBf16(context, dx + row * in, logits, static_cast<const uint16_t *>(w),
                                nullptr, rounding, m, vocab, in, gradLayout)
                   : linear(context, dx + row * in, logits, static_cast<const float *>(w),
                            nullptr, m, vocab, in, gradLayout);
    if (status)
      return status;
  }
  return crossEntropyMean(ctx, loss, blocks);
}

} // namespace slimtune::cuda
