// RMSNorm and LayerNorm, forward and input gradient (scale and shift frozen), the split form of
// memory-sharing backprop (normalize -> z, rstd; scale_shift; normalize_grad from z, rstd).
// One block of kRowThreads per row (grid-stride over rows): the threads stride over the
// channels, accumulate the row's statistics in double as the CPU's fast kernels do, and
// combine them with blockAllReduce, so every row's result has the same bits every run. The
// per-element arithmetic is the CPU's (cpu/norms.cpp), products and sums that it rounds
// separately kept separate (common/rounding.h), so that normalize then scale_shift
// reproduces layer_norm bit for bit here as it does there. scale_shift, with no reduction, is
// one warp per row.
#include "kernels/common/rounding.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

using common::addRn;
using common::mulRn;

constexpr int kRowThreads = 256;

inline unsigned rowBlocks(int64_t n) { return static_cast<unsigned>(std::min<int64_t>(n, kMaxBlocks)); }

__device__ double rowSum(const float *x, int64_t c) {
  double acc = 0;
  for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
    acc += x[j];
  return blockAllReduce(acc, 0.0, SumOp{});
}

__device__ double rowSumSquares(const float *x, int64_t c) {
  double acc = 0;
  for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
    const double v = x[j];
    acc += v * v;
  }
  return blockAllReduce(acc, 0.0, SumOp{});
}

__device__ double rowCenteredSumSquares(const float *x, int64_t c, double mean) {
  double acc = 0;
  for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
    const double centered = x[j] - mean;
    acc += centered * centered;
  }
  return blockAllReduce(acc, 0.0, SumOp{});
}

// g = dy s, in double (s may be null: 1).
__device__ inline double scaled(const float *dy, const float *s, int64_t j) {
  return s ? static_cast<double>(dy[j]) * s[j] : static_cast<double>(dy[j]);
}

__global__ void rmsNormKernel(float *y, const float *x, const float *scale, int64_t n, int64_t c,
                              float eps) {
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const float *xr = x + row * c;
    float *yr = y + row * c;
    const float r =
        static_cast<float>(1.0 / sqrt(rowSumSquares(xr, c) / static_cast<double>(c) + eps));
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
      yr[j] = scale ? xr[j] * r * scale[j] : xr[j] * r;
  }
}

// dx = r g - (r^3 / c) x sum(g x), g = dy s.
__global__ void rmsNormGradKernel(float *dx, const float *dy, const float *x, const float *scale,
                                  int64_t n, int64_t c, float eps) {
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const float *xr = x + row * c, *dyr = dy + row * c;
    float *dxr = dx + row * c;
    double gx = 0;
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
      gx += scaled(dyr, scale, j) * xr[j];
    gx = blockAllReduce(gx, 0.0, SumOp{});
    const double r = 1.0 / sqrt(rowSumSquares(xr, c) / static_cast<double>(c) + eps);
    const double coefficient = r * r * r * gx / static_cast<double>(c);
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
      dxr[j] = static_cast<float>(r * scaled(dyr, scale, j) - coefficient * xr[j]);
  }
}

// The row's mean and r = 1 / sqrt(var + eps), var from a second pass over x - mean.
struct RowMoments {
  double mean, r;
};
__device__ RowMoments rowMoments(const float *x, int64_t c, float eps) {
  const double mean = rowSum(x, c) / static_cast<double>(c);
  return {mean, 1.0 / sqrt(rowCenteredSumSquares(x, c, mean) / static_cast<double>(c) + eps)};
}

// (x - mean) r rounded to float, then times s, then plus shift: three roundings, as the CPU.
__device__ inline float affine(float z, const float *s, const float *b, int64_t j) {
  if (s)
    z = mulRn(z, s[j]);
  if (b)
    z = addRn(z, b[j]);
  return z;
}

__global__ void layerNormKernel(float *y, const float *x, const float *scale, const float *shift,
                                int64_t n, int64_t c, float eps) {
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const float *xr = x + row * c;
    float *yr = y + row * c;
    const RowMoments m = rowMoments(xr, c, eps);
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
      yr[j] = affine(static_cast<float>((xr[j] - m.mean) * m.r), scale, shift, j);
  }
}

// dx = r (g - mean(g) - xhat mean(g xhat)), xhat = (x - mean) r, g = dy s.
__global__ void layerNormGradKernel(float *dx, const float *dy, const float *x, const float *scale,
                                    int64_t n, int64_t c, float eps) {
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const float *xr = x + row * c, *dyr = dy + row * c;
    float *dxr = dx + row * c;
    const RowMoments m = rowMoments(xr, c, eps);
    double sumG = 0, sumGCentered = 0;
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
      const double g = scaled(dyr, scale, j);
      sumG += g;
      sumGCentered += g * (xr[j] - m.mean);
    }
    sumG = blockAllReduce(sumG, 0.0, SumOp{});
    sumGCentered = blockAllReduce(sumGCentered, 0.0, SumOp{});
    const double meanG = sumG / static_cast<double>(c);
    const double xCoefficient = m.r * m.r * sumGCentered / static_cast<double>(c);
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
      dxr[j] = static_cast<float>(
          m.r * (scaled(dyr, scale, j) - meanG - (xr[j] - m.mean) * xCoefficient));
  }
}

// z = x r (rms, r rounded to float first) or (x - mean) r (layer, in double), rstd = r.
__global__ void normalizeKernel(float *z, float *rstd, const float *x, int64_t n, int64_t c,
                                float eps, bool centred) {
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const float *xr = x + row * c;
    float *zr = z + row * c;
    float stored;
    if (centred) {
      const RowMoments m = rowMoments(xr, c, eps);
      for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
        zr[j] = static_cast<float>((xr[j] - m.mean) * m.r);
      stored = static_cast<float>(m.r);
    } else {
      const float r =
          static_cast<float>(1.0 / sqrt(rowSumSquares(xr, c) / static_cast<double>(c) + eps));
      for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
        zr[j] = xr[j] * r;
      stored = r;
    }
    if (threadIdx.x == 0)
      rstd[row] = stored;
  }
}

// dx = r (g - z mean(g z)) (rms), minus r mean(g) as well (layer); g = dz.
__global__ void normalizeGradKernel(float *dx, const float *dz, const float *z, const float *rstd,
                                    int64_t n, int64_t c, bool centred) {
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const float *zr = z + row * c, *gr = dz + row * c;
    float *dxr = dx + row * c;
    double sumG = 0, sumGZ = 0;
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
      sumG += gr[j];
      sumGZ += static_cast<double>(gr[j]) * zr[j];
    }
    sumG = blockAllReduce(sumG, 0.0, SumOp{});
    sumGZ = blockAllReduce(sumGZ, 0.0, SumOp{});
    const double r = rstd[row], meanG = centred ? sumG / static_cast<double>(c) : 0.0,
                 meanGZ = sumGZ / static_cast<double>(c);
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
      dxr[j] = static_cast<float>(r * (gr[j] - meanG - zr[j] * meanGZ));
  }
}

// One warp per row, the lanes over its channels: no division per element.
__global__ void scaleShiftKernel(float *y, const float *x, const float *scale, const float *shift,
                                 int64_t n, int64_t c) {
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.x / 32) + threadIdx.x / 32;
       row < n; row += warps)
    for (int64_t j = threadIdx.x % 32; j < c; j += 32)
      y[row * c + j] = affine(x[row * c + j], scale, shift, j);
}

// A row kernel on the session's stream, one block per row of kRowThreads (grid-stride over
// rows): nothing for an empty tensor, else the launch's status under `name`.
template <typename... Params, typename... Args>
int32_t launchRows(void *context, const char *name, int64_t n, int64_t c,
                   void (*kernel)(Params...), Args... args) {
  Context &ctx = contextOf(context);
  if (n <= 0 || c <= 0)
    return SLIMTUNE_KERNEL_OK;
  kernel<<<rowBlocks(n), kRowThreads, 0, ctx.stream>>>(args...);
  return launchStatus(ctx, name);
}

} // namespace

int32_t rmsNorm(void *context, float *y, const float *x, const float *scale, int64_t n, int64_t c,
                float eps) {
  return launchRows(context, "rms_norm", n, c, rmsNormKernel, y, x, scale, n, c, eps);
}

int32_t rmsNormGrad(void *context, float *dx, const float *dy, const float *x, const float *scale,
                    int64_t n, int64_t c, float eps) {
  return launchRows(context, "rms_norm_grad", n, c, rmsNormGradKernel, dx, dy, x, scale, n, c, eps);
}

int32_t layerNorm(void *context, float *y, const float *x, const float *scale, const float *shift,
                  int64_t n, int64_t c, float eps) {
  return launchRows(context, "layer_norm", n, c, layerNormKernel, y, x, scale, shift, n, c, eps);
}

int32_t layerNormGrad(void *context, float *dx, const float *dy, const float *x, const float *scale,
                      int64_t n, int64_t c, float eps) {
  return launchRows(context, "layer_norm_grad", n, c, layerNormGradKernel, dx, dy, x, scale, n, c,
                    eps);
}

int32_t normalize(void *context, float *z, float *rstd, const float *x, int64_t n, int64_t c,
                  float eps, int32_t kind) {
  return launchRows(context, "normalize", n, c, normalizeKernel, z, rstd, x, n, c, eps, kind == 1);
}

int32_t normalizeGrad(void *context, float *dx, const float *dz, const float *z, const float *rstd,
                      int64_t n, int64_t c, int32_t kind) {
  return launchRows(context, "normalize_grad", n, c, normalizeGradKernel, dx, dz, z, rstd, n, c,
                    kind == 1);
}

int32_t scaleShift(void *context, float *y, const float *x, const float *scale, const float *shift,
                   int64_t n, int64_t c) {
  Context &ctx = contextOf(context);
  if (n <= 0 || c <= 0)
    return SLIMTUNE_KERNEL_OK;
  scaleShiftKernel<<<blocksFor(n * 32), kThreads, 0, ctx.stream>>>(y, x, scale, shift, n, c);
  return launchStatus(ctx, "scale_shift");
}

} // namespace slimtune::cuda
