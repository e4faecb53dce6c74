// Plain reference of folding a LoRA adapter into its weight, templated on the element type so
// tests can run it in double. Semantics: merge_lora in SLIMTUNE_KERNELS (kernel_abi.h).
#ifndef SLIMTUNE_KERNELS_CPU_MERGE_LORA_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_MERGE_LORA_REFERENCE_H

#include <cstdint>

namespace slimtune::cpu::reference {

// merged = w + scale B A, A [r, in], B [out, r], in the weight's layout: [out, in] (layout 0)
// or [in, out] (layout 1, the delta transposed). Each element of w is read once, before its
// merged value is written, so merged may alias w.
template <typename T>
void mergeLora(T *merged, const T *w, const T *a, const T *b, int64_t in, int64_t out, int64_t r,
               T scale, int32_t layout) {
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < in; ++k) {
      T sum = 0;
      for (int64_t q = 0; q < r; ++q)
        sum += b[o * r + q] * a[q * in + k];
      int64_t at = layout == 0 ? o * in + k : k * out + o;
      merged[at] = w[at] + scale * sum;
    }
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_MERGE_LORA_REFERENCE_H
