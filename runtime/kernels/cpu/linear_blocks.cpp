// Frozen weights in ggml blocks (--precision q8, q4): the linear layer and the embedding
// gather read the blocks directly. The linear layer decodes W a panel of whole stored rows at
// a time into the workspace (exact: each value is d*q (+ m) in fp32) and runs the fp32 GEMM
// on it, the shape linear_bf16's widening fallback has: a small model's projection is one
// panel, decoded once per call; the GEMM then runs at the library's rate (the decoding costs
// a pass over W's codes, bench-cpu-frozen-linear).
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/weight_blocks.h"
#include "kernels/cpu/workspace.h"

#include <algorithm>

namespace slimtune::cpu {

namespace {
// W's outputs [begin, begin + p) decoded: rows of W [out, in] as panel [p, in] (layout 0),
// columns of W [in, out] as panel [in, p] (layout 1, begin and p multiples of 32).
void decodePanel(float *panel, const uint8_t *w, int32_t format, int64_t begin, int64_t p,
                 int64_t in, int64_t out, int32_t layout) {
  if (layout == 0) {
#pragma omp parallel for schedule(static) if (p * in >= kParallelMin)
    for (int64_t r = 0; r < p; ++r)
      decodeRowPart(format, w, begin + r, in, 0, in, panel + r * in);
    return;
  }
#pragma omp parallel for schedule(static) if (p * in >= kParallelMin)
  for (int64_t k = 0; k < in; ++k)
    decodeRowPart(format, w, k, out, begin, p, panel + k * p);
}
} // namespace

// y [n, out] = x W^T + b (W [out, in], layout 0) or x W + b (W [in, out], layout 1).
int32_t linearBlocks(float *y, const float *x, const uint8_t *w, const float *b, float *work,
                     int64_t n, int64_t in, int64_t out, int32_t layout, int32_t format) {
  if (blockBytes(format) == 0 || (layout == 0 ? in : out) % kBlockElements != 0)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  if (n == 0 || out == 0)
    return SLIMTUNE_KERNEL_OK;
  const int64_t panelOutputs = slimtune_cpu_blocks_panel_outputs(in, out);
  for (int64_t begin = 0; begin < out; begin += panelOutputs) {
    const int64_t p = std::min(panelOutputs, out - begin);
    decodePanel(work, w, format, begin, p, in, out, layout);
    // y[:, begin:begin+p] = x op(panel), panel [p, in] or [in, p].
    const int32_t status = layout == 0
                               ? gemm(false, true, n, p, in, 1.0f, x, in, work, in, 0.0f, y + begin, out)
                               : gemm(false, false, n, p, in, 1.0f, x, in, work, p, 0.0f, y + begin, out);
    if (status != SLIMTUNE_KERNEL_OK)
      return status;
  }
  if (b)
    addBias(y, b, n, out);
  return SLIMTUNE_KERNEL_OK;
}

// out [n, c] fp32, table [vocab, c] in blocks: each row decoded.
int32_t embeddingBlocks(float *out, const uint8_t *table, const int32_t *ids, int64_t n, int64_t c,
                        int64_t vocab, int32_t format) {
  (void)vocab; // ids were validated against vocab by the runtime
  if (blockBytes(format) == 0 || c % kBlockElements != 0)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
#pragma omp parallel for schedule(static) if (n * c >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    decodeRowPart(format, table, ids[i], c, 0, c, out + i * c);
  return SLIMTUNE_KERNEL_OK;
}

} // namespace slimtune::cpu
