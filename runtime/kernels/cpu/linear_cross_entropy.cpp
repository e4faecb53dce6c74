// The language-model head fused with its loss: for each chunk of rows, the chunk's logits
// (one GEMM, or linear_bf16 for a bf16 weight) into the workspace, cross_entropy's per-row
// work on them (their gradient written over them, scaled by the whole batch's count), and the
// chunk's rows of dx = dlogits W (one more GEMM). The logits never exist for more than a chunk
// of rows, and W is read twice per chunk: a chunk of a few hundred rows keeps both GEMMs at
// the library's full rate (bench-cpu-head-loss).
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/workspace.h"

#include <algorithm>

namespace slimtune::cpu {

int32_t linearCrossEntropy(float *loss, float *dx, const float *x, const void *w,
                           const int32_t *targets, float *work, int64_t n, int64_t in,
                           int64_t vocab, int64_t chunk, int32_t layout, int32_t wBf16,
                           int32_t ignoreIndex) {
  if (chunk < 1)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  const int64_t count = countTargets(targets, n, ignoreIndex);
  float *logits = work;
  auto *rounding = reinterpret_cast<uint16_t *>(work + std::min(chunk, n) * vocab);
  // The input gradient reads W as [vocab, in]: the other layout of the same storage.
  const int32_t gradLayout = layout == 0 ? 1 : 0;
  double total = 0;
  for (int64_t row = 0; row < n; row += chunk) {
    const int64_t m = std::min(chunk, n - row);
    const int32_t status =
        wBf16 ? linearBf16(logits, x + row * in, static_cast<const uint16_t *>(w), nullptr,
                           rounding, m, in, vocab, layout)
              : linear(logits, x + row * in, static_cast<const float *>(w), nullptr, m, in,
                       vocab, layout);
    if (status != SLIMTUNE_KERNEL_OK)
      return status;
    total += crossEntropySum(dx ? logits : nullptr, logits, targets + row, m, vocab, ignoreIndex,
                             count);
    if (!dx)
      continue;
    const int32_t gradStatus =
        wBf16 ? linearBf16(dx + row * in, logits, static_cast<const uint16_t *>(w), nullptr,
                           rounding, m, vocab, in, gradLayout)
              : linear(dx + row * in, logits, static_cast<const float *>(w), nullptr, m, vocab,
                       in, gradLayout);
    if (gradStatus != SLIMTUNE_KERNEL_OK)
      return gradStatus;
  }
  *loss = count > 0 ? static_cast<float>(total / static_cast<double>(count)) : 0.0f;
  return SLIMTUNE_KERNEL_OK;
}

} // namespace slimtune::cpu
