// add, mul, fill_zero, copy_columns and sum_rows. add and mul are grid-stride loops over the
// elements; fill_zero is a memset on the stream; copy_columns is one warp per row (no division
// per element). sum_rows (the bias gradient) reduces over rows deterministically: a block owns
// 32 columns and a slice of the rows, its threads sum strided rows in double and combine them
// in a fixed order; when the rows are split over several slices (to fill the GPU when there
// are few columns), each slice's sums go to the context's scratch and a second kernel adds
// them in slice order. The split depends only on the shape, so a run gives the same bits.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

__global__ void addKernel(float *y, const float *a, const float *b, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = a[i] + b[i];
}

__global__ void mulKernel(float *y, const float *a, const float *b, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = a[i] * b[i];
}

// With beta = 0, b is not read (a coupling's gradient is a scaled copy).
__global__ void scaledAddKernel(float *y, const float *a, const float *b, int64_t n, float alpha,
                                float beta) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = beta == 0.0f ? alpha * a[i] : alpha * a[i] + beta * b[i];
}

__global__ void copyColumnsKernel(float *dst, const float *src, int64_t rows, int64_t srcCols,
                                  int64_t dstCols, int64_t srcOffset, int64_t dstOffset,
                                  int64_t width) {
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x / 32) + threadIdx.x / 32;
       r < rows; r += warps) {
    const float *from = src + r * srcCols + srcOffset;
    float *to = dst + r * dstCols + dstOffset;
    for (int64_t j = threadIdx.x % 32; j < width; j += 32)
      to[j] = from[j];
  }
}

// sum_rows' blocks: kColumns columns (one per lane) by kRowLanes rows at a time.
constexpr int kColumns = 32, kRowLanes = 16;
// Enough blocks to fill the GPU when the columns alone do not.
constexpr int64_t kTargetBlocks = 512, kMaxSlices = 64, kMinRowsPerSlice = 64;

// Rows [slice * rowsPerSlice, +rowsPerSlice) of each column tile: out[column] = their sum,
// rounded to float when there is one slice (the result), else kept in double (a partial in
// scratch, [slice][c]).
template <typename Out>
__global__ void sumRowsKernel(Out *out, const float *dy, int64_t n, int64_t c,
                              int64_t rowsPerSlice) {
  __shared__ double partial[kRowLanes][kColumns + 1];
  const int64_t slice = blockIdx.y, begin = slice * rowsPerSlice;
  const int64_t end = begin + rowsPerSlice < n ? begin + rowsPerSlice : n;
  const int64_t tiles = (c + kColumns - 1) / kColumns;
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t column = tile * kColumns + threadIdx.x;
    double sum = 0;
    if (column < c)
      for (int64_t i = begin + threadIdx.y; i < end; i += kRowLanes)
        sum += dy[i * c + column];
    partial[threadIdx.y][threadIdx.x] = sum;
    __syncthreads();
    if (threadIdx.y == 0 && column < c) {
      double total = 0;
      for (int lane = 0; lane < kRowLanes; ++lane)
        total += partial[lane][threadIdx.x];
      if constexpr (sizeof(Out) == sizeof(float))
        out[column] = static_cast<float>(total);
      else
        out[slice * c + column] = total;
    }
    __syncthreads(); // partial is reused by the next tile
  }
}

__global__ void sumSlicesKernel(float *db, const double *partials, int64_t c, int64_t slices) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < c;
       j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double total = 0;
    for (int64_t s = 0; s < slices; ++s)
      total += partials[s * c + j];
    db[j] = static_cast<float>(total);
  }
}

} // namespace

int32_t add(void *context, float *y, const float *a, const float *b, int64_t n) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  addKernel<<<blocksFor(n), kThreads, 0, ctx.stream>>>(y, a, b, n);
  return launchStatus(ctx, "add");
}

int32_t mul(void *context, float *y, const float *a, const float *b, int64_t n) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  mulKernel<<<blocksFor(n), kThreads, 0, ctx.stream>>>(y, a, b, n);
  return launchStatus(ctx, "mul");
}

int32_t scaledAdd(void *context, float *y, const float *a, const float *b, int64_t n, float alpha,
                  float beta) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  scaledAddKernel<<<blocksFor(n), kThreads, 0, ctx.stream>>>(y, a, b, n, alpha, beta);
  return launchStatus(ctx, "scaled_add");
}

int32_t fillZero(void *context, void *y, int64_t bytes) {
  Context &ctx = contextOf(context);
  if (bytes <= 0)
    return SLIMTUNE_KERNEL_OK;
  cudaMemsetAsync(y, 0, static_cast<size_t>(bytes), ctx.stream);
  return launchStatus(ctx, "fill_zero");
}

int32_t copyColumns(void *context, float *dst, const float *src, int64_t rows, int64_t srcCols,
                    int64_t dstCols, int64_t srcOffset, int64_t dstOffset, int64_t width) {
  Context &ctx = contextOf(context);
  if (rows <= 0 || width <= 0)
    return SLIMTUNE_KERNEL_OK;
  copyColumnsKernel<<<blocksFor(rows * 32), kThreads, 0, ctx.stream>>>(
      dst, src, rows, srcCols, dstCols, srcOffset, dstOffset, width);
  return launchStatus(ctx, "copy_columns");
}

int32_t sumRows(void *context, float *db, const float *dy, int64_t n, int64_t c) {
  Context &ctx = contextOf(context);
  if (c <= 0)
    return SLIMTUNE_KERNEL_OK;
  const int64_t tiles = (c + kColumns - 1) / kColumns;
  // Slices: enough blocks in all, each slice at least kMinRowsPerSlice rows, their partials
  // within the scratch.
  int64_t slices = (kTargetBlocks + tiles - 1) / tiles;
  slices = std::min({slices, kMaxSlices, (n + kMinRowsPerSlice - 1) / kMinRowsPerSlice,
                     kScratchBytes / static_cast<int64_t>(sizeof(double) * c)});
  slices = std::max<int64_t>(slices, 1);
  const int64_t rowsPerSlice = (n + slices - 1) / slices;
  const dim3 grid(static_cast<unsigned>(std::min(tiles, kMaxBlocks)), static_cast<unsigned>(slices));
  const dim3 block(kColumns, kRowLanes);
  if (slices == 1) {
    sumRowsKernel<<<grid, block, 0, ctx.stream>>>(db, dy, n, c, rowsPerSlice);
    return launchStatus(ctx, "sum_rows");
  }
  auto *partials = static_cast<double *>(ctx.scratch);
  sumRowsKernel<<<grid, block, 0, ctx.stream>>>(partials, dy, n, c, rowsPerSlice);
  if (int32_t status = launchStatus(ctx, "sum_rows"))
    return status;
  sumSlicesKernel<<<blocksFor(c), kThreads, 0, ctx.stream>>>(db, partials, c, slices);
  return launchStatus(ctx, "sum_rows slices");
}

} // namespace slimtune::cuda
