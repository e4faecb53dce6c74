// Folding a LoRA adapter into its weight (LoRA-Gen's reparameterization): one rank-r GEMM that
// accumulates onto a copy of the weight, in fp32, through cpu::gemm.
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"

#include <cstring>

namespace slimtune::cpu {

// merged = w + scale B A; W [out, in] (layout 0) or [in, out] (layout 1); A [r, in], B [out, r].
int32_t mergeLora(float *merged, const float *w, const float *a, const float *b, int64_t in,
                  int64_t out, int64_t r, float scale, int32_t layout) {
  if (merged != w)
    std::memcpy(merged, w, static_cast<size_t>(in * out) * sizeof(float));
  if (layout == 0) // [out, in] += scale B [out, r] A [r, in]
    return gemm(false, false, out, in, r, scale, b, r, a, in, 1.0f, merged, in);
  // [in, out] += scale A^T [in, r] B^T [r, out]
  return gemm(true, true, in, out, r, scale, a, in, b, r, 1.0f, merged, out);
}

} // namespace slimtune::cpu
