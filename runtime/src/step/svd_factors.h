// CE-LoRA's frozen factors (slim-ce-lora): a weight W [R, C] as stored split into a rank-r
// SVD pair and the rest, W = left·right + residual, left = U_r·√S_r [R, r], right =
// √S_r·V_rᵀ [r, C], all fp32, and the residual's row and column norms (the residual itself
// is not kept: the kernels compute its part from W and the pair). The SVD (LAPACK sgesdd, in
// the OpenBLAS the CPU kernels link) is cached in a folder, one safetensors file per weight
// keyed by the SHA-256 of its shape, rank and values, so a second run binds without it.
#ifndef SLIMTUNE_STEP_SVD_FACTORS_H
#define SLIMTUNE_STEP_SVD_FACTORS_H

#include "slimtune/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace slimtune {

struct SvdFactors {
  std::vector<float> left, right, rowNorms, columnNorms;
  bool fromCache = false;
  std::string cacheProblem; // why the cache was not read or written ("" when it was, or is off)
};

// The factors of `w` [rows, cols] at `rank` (0 < rank < min(rows, cols)); `cacheFolder` ""
// for no cache. A cache file that does not hold exactly the expected factors (truncated,
// another format, non-finite values) is recomputed and rewritten, never trusted.
Expected<SvdFactors> svdFactors(const float *w, int64_t rows, int64_t cols, int64_t rank,
                                const std::string &cacheFolder);

// $SLIMTUNE_CACHE/svd, or ~/.cache/slimtune/svd; "" (no cache) without either.
std::string defaultSvdCacheFolder();

} // namespace slimtune

#endif // SLIMTUNE_STEP_SVD_FACTORS_H
