// The language-model head fused with its loss: for each chunk of rows, the chunk's logits
// (one GEMM, or linear_bf16 / linear_blocks for a bf16 or blocks weight) into the workspace, cross_entropy's per-row
// work on them (their gradient written over them, scaled by the whole batch's count), and the
// chunk's rows of dx = dlogits W (one more GEMM). The logits never exist for more than a chunk
// of rows, and W is read twice per chunk: a chunk of a few hundred rows keeps both GEMMs at
// the library's full rate (bench-cpu-head-loss).
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/workspace.h"

#include <algorithm>

namespace slimtune::cpu {

namespace {
// y [m, out] = x [m, in] times W in the weight's own format (layout as linear's); `extra` is
// the workspace past the chunk's logits.
int32_t headProduct(float *y, const float *x, const void *w, float *extra, int64_t m, int64_t in,
                    int64_t out, int32_t layout, int32_t format) {
  switch (format) {
  case SLIMTUNE_WEIGHT_F32:
    return linear(y, x, static_cast<const float *>(w), nullptr, m, in, out, layout);
  case SLIMTUNE_WEIGHT_BF16:
    return linearBf16(y, x, static_cast<const uint16_t *>(w), nullptr,
                      reinterpret_cast<uint16_t *>(extra), m, in, out, layout);
  default:
    return linearBlocks(y, x, static_cast<const uint8_t *>(w), nullptr, extra, m, in, out, layout,
                        format);
  }
}
} // namespace

int32_t linearCrossEntropy(float *loss, float *dx, const float *x, const void *w,
                           const int32_t *targets, float *work, int64_t n, int64_t in,
                           int64_t vocab, int64_t chunk, int32_t layout, int32_t wFormat,
                           int32_t ignoreIndex) {
  if (chunk < 1)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  const int64_t count = countTargets(targets, n, ignoreIndex);
  float *logits = work, *extra = work + std::min(chunk, n) * vocab;
  // The input gradient reads W as [vocab, in]: the other layout of the same storage.
  const int32_t gradLayout = layout == 0 ? 1 : 0;
  double total = 0;
  for (int64_t row = 0; row < n; row += chunk) {
    const int64_t m = std::min(chunk, n - row);
    if (const int32_t status =
            headProduct(logits, x + row * in, w, extra, m, in, vocab, layout, wFormat);
        status != SLIMTUNE_KERNEL_OK)
      return status;
    total += crossEntropySum(dx ? logits : nullptr, logits, targets + row, m, vocab, ignoreIndex,
                             count);
    if (!dx)
      continue;
    if (const int32_t status =
            headProduct(dx + row * in, logits, w, extra, m, vocab, in, gradLayout, wFormat);
        status != SLIMTUNE_KERNEL_OK)
      return status;
  }
  *loss = count > 0 ? static_cast<float>(total / static_cast<double>(count)) : 0.0f;
  return SLIMTUNE_KERNEL_OK;
}

} // namespace slimtune::cpu
