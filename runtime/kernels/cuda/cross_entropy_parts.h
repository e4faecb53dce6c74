// cross_entropy's three launches (cross_entropy.cu) as parts, for kernels that see the rows a
// chunk at a time (the fused head, linear_cross_entropy.cpp): count the whole batch's
// non-ignored targets into the context's scratch; per chunk, the rows' loss terms into the
// scratch's per-block partials (started by the first chunk, added to by later ones, so the
// sum keeps a fixed order) and their dlogits scaled by that count; then the mean.
#ifndef SLIMTUNE_KERNELS_CUDA_CROSS_ENTROPY_PARTS_H
#define SLIMTUNE_KERNELS_CUDA_CROSS_ENTROPY_PARTS_H

#include "kernels/cuda/cuda_context.h"

#include <cstdint>

namespace slimtune::cuda {

int32_t crossEntropyCount(Context &ctx, const int32_t *targets, int64_t n, int32_t ignoreIndex);
// Returns the number of partials written (the mean's `blocks`); *status the launch's.
int64_t crossEntropyRows(Context &ctx, float *dlogits, const float *logits,
                         const int32_t *targets, int64_t n, int64_t vocab, int32_t ignoreIndex,
                         bool accumulate, int32_t *status);
int32_t crossEntropyMean(Context &ctx, float *loss, int64_t blocks);

} // namespace slimtune::cuda

#endif // SLIMTUNE_KERNELS_CUDA_CROSS_ENTROPY_PARTS_H
