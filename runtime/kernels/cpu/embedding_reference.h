// Plain references of the embedding lookups, templated on the element type. Semantics:
// SLIMTUNE_KERNELS in kernel_abi.h (ids are validated by the runtime before the step).
#ifndef SLIMTUNE_KERNELS_CPU_EMBEDDING_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_EMBEDDING_REFERENCE_H

#include <cstdint>

namespace slimtune::cpu::reference {

// out [n, c], table [vocab, c], ids [n]: out[i, :] = table[ids[i], :].
template <typename T>
void embedding(T *out, const T *table, const int32_t *ids, int64_t n, int64_t c,
               int64_t vocab) {
  (void)vocab;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      out[i * c + j] = table[static_cast<int64_t>(ids[i]) * c + j];
}

// out [b, t, c], table [>= t, c]: out[bi, ti, :] = table[ti, :].
template <typename T>
void positionEmbedding(T *out, const T *table, int64_t b, int64_t t, int64_t c) {
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t ti = 0; ti < t; ++ti)
      for (int64_t j = 0; j < c; ++j)
        out[(bi * t + ti) * c + j] = table[ti * c + j];
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_EMBEDDING_REFERENCE_H
