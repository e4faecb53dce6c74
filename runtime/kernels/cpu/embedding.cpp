// Embedding lookups: token rows gathered from the table, position rows broadcast over the
// batch. Pure copies, one row per iteration, rows spread over the cores.
#include "kernels/cpu/convert.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/kernels.h"

#include <cstring>

namespace slimtune::cpu {

// out [n, c], table [vocab, c], ids [n].
void embedding(float *out, const float *table, const int32_t *ids, int64_t n, int64_t c,
               int64_t vocab) {
  (void)vocab; // ids were validated against vocab by the runtime
#pragma omp parallel for schedule(static) if (n * c >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(out + i * c, table + static_cast<int64_t>(ids[i]) * c,
                static_cast<size_t>(c) * sizeof(float));
}

// out [b, t, c], table [>= t, c].
void positionEmbedding(float *out, const float *table, int64_t b, int64_t t, int64_t c) {
#pragma omp parallel for schedule(static) if (b * t * c >= kParallelMin)
  for (int64_t row = 0; row < b * t; ++row)
    std::memcpy(out + row * c, table + (row % t) * c, static_cast<size_t>(c) * sizeof(float));
}

// out [n, c] fp32, table [vocab, c] bf16: each row widened by the bulk conversion the
// checkpoint readers use (AVX2 where the CPU has it).
void embeddingBf16(float *out, const uint16_t *table, const int32_t *ids, int64_t n, int64_t c,
                   int64_t vocab) {
  (void)vocab; // ids were validated against vocab by the runtime
#pragma omp parallel for schedule(static) if (n * c >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    bf16ToF32(table + static_cast<int64_t>(ids[i]) * c, out + i * c, static_cast<size_t>(c));
}

} // namespace slimtune::cpu
