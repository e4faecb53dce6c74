// CE-LoRA's input gradient on the GPU (kernel_abi.h, sampled_linear_grad), the same steps as
// the CPU kernel: scores, a top-k selection, gathers of the kept features (for one GEMM with
// W) and of the dropped ones (through the rank-r pair) into the workspace, cuBLAS GEMMs; the
// first step's exact product in chunks of k.
// The selection is one block: a radix select of the k-th largest score's bits, then a
// block-wide scan (CUB) that writes the winners in index order, so it agrees with the CPU's
// order (column_selection.h: higher score first, ties to the lower index). Whether this step
// refreshes the selection or is the exact first one is decided on the host, from the step
// counter read back once per call (one 4-byte copy and a wait on the stream).
#include "kernels/common/column_selection.h"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/kernels.h"

#include <cub/block/block_scan.cuh>

namespace slimtune::cuda {
namespace {

constexpr int kSelectThreads = 1024;

// score [out] = ||dy[:, j]|| * norms[j], one thread per feature, the sum in row order.
__global__ void scoreFeatures(float *score, const float *dy, const float *norms, int64_t n,
                              int64_t out) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < out;
       j += int64_t(gridDim.x) * blockDim.x) {
    float sum = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += dy[i * out + j] * dy[i * out + j];
    score[j] = sqrtf(sum) * norms[j];
  }
}

// A score's rank key: a larger key ranks first; every NaN first of all (ranksBefore).
__device__ uint32_t rankKey(float s) {
  if (s != s)
    return 0xffffffffu;
  return s > 0 ? __float_as_uint(s) : 0u;
}

// columns [k] = the k best features, ascending. One block.
__global__ void selectColumns(int32_t *columns, const float *score, int64_t out, int64_t k) {
  using Scan = cub::BlockScan<int64_t, kSelectThreads>;
  __shared__ typename Scan::TempStorage scanStorage;
  __shared__ unsigned long long count;
  // The largest t with at least k keys >= t, one bit at a time from the top.
  uint32_t t = 0;
  for (int bit = 31; bit >= 0; --bit) {
    const uint32_t candidate = t | (1u << bit);
    if (threadIdx.x == 0)
      count = 0;
    __syncthreads();
    unsigned long long mine = 0;
    for (int64_t j = threadIdx.x; j < out; j += blockDim.x)
      mine += rankKey(score[j]) >= candidate;
    atomicAdd(&count, mine);
    __syncthreads();
    if (count >= static_cast<unsigned long long>(k))
      t = candidate;
    __syncthreads();
  }
  // Keys above t all win; of those equal to t, the lowest indices fill the rest.
  const int64_t per = (out + blockDim.x - 1) / blockDim.x;
  const int64_t begin = out < int64_t(threadIdx.x) * per ? out : int64_t(threadIdx.x) * per;
  const int64_t end = out < begin + per ? out : begin + per;
  int64_t above = 0, equal = 0;
  for (int64_t j = begin; j < end; ++j) {
    const uint32_t key = rankKey(score[j]);
    above += key > t;
    equal += key == t;
  }
  int64_t aboveBefore, equalBefore, aboveAll;
  Scan(scanStorage).ExclusiveSum(above, aboveBefore, aboveAll);
  __syncthreads();
  Scan(scanStorage).ExclusiveSum(equal, equalBefore);
  __syncthreads();
  const int64_t equalWanted = k - aboveAll;
  int64_t chosen = 0, equalSeen = equalBefore;
  for (int64_t j = begin; j < end; ++j) {
    const uint32_t key = rankKey(score[j]);
    chosen += key > t || (key == t && equalSeen++ < equalWanted);
  }
  int64_t at;
  Scan(scanStorage).ExclusiveSum(chosen, at);
  equalSeen = equalBefore;
  for (int64_t j = begin; j < end; ++j) {
    const uint32_t key = rankKey(score[j]);
    if (key > t || (key == t && equalSeen++ < equalWanted))
      columns[at++] = static_cast<int32_t>(j);
  }
}

// dropped [out - k] = the features not in columns [k], ascending. One block: a flag per
// feature, then a block-wide scan in index order.
__global__ void complementOf(int32_t *dropped, int32_t *flags, const int32_t *columns, int64_t k,
                             int64_t out) {
  using Scan = cub::BlockScan<int64_t, kSelectThreads>;
  __shared__ typename Scan::TempStorage scanStorage;
  for (int64_t j = threadIdx.x; j < out; j += blockDim.x)
    flags[j] = 0;
  __syncthreads();
  for (int64_t s = threadIdx.x; s < k; s += blockDim.x)
    if (columns[s] >= 0 && columns[s] < out)
      flags[columns[s]] = 1;
  __syncthreads();
  const int64_t per = (out + blockDim.x - 1) / blockDim.x;
  const int64_t begin = out < int64_t(threadIdx.x) * per ? out : int64_t(threadIdx.x) * per;
  const int64_t end = out < begin + per ? out : begin + per;
  int64_t mine = 0;
  for (int64_t j = begin; j < end; ++j)
    mine += !flags[j];
  int64_t at;
  Scan(scanStorage).ExclusiveSum(mine, at);
  for (int64_t j = begin; j < end; ++j)
    if (!flags[j])
      dropped[at++] = static_cast<int32_t>(j);
}

// Feature s of a gather: features[s], or first + s for a contiguous range (features null).
__device__ int64_t featureOf(const int32_t *features, int64_t first, int64_t s) {
  return features ? features[s] : first + s;
}

// dyS [n, count] = dy[:, features]; wS [count, in] = W[features] as f32 (wS null: skipped).
// An entry outside [0, out) (a corrupt checkpoint's state) contributes nothing rather than
// reading out of bounds; the CPU kernel fails the step on one instead (checking here would
// cost a second wait on the stream).
__global__ void gather(float *dyS, float *wS, const float *dy, const void *w, bool bf16,
                       bool inOut, const int32_t *features, int64_t first, int64_t count,
                       int64_t n, int64_t in, int64_t out) {
  const int64_t total = n * count + (wS ? count * in : 0);
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    if (e < n * count) {
      const int64_t i = e / count, j = featureOf(features, first, e % count);
      dyS[e] = j >= 0 && j < out ? dy[i * out + j] : 0.0f;
    } else {
      const int64_t s = (e - n * count) / in, c = (e - n * count) % in;
      const int64_t j = featureOf(features, first, s);
      wS[s * in + c] = j >= 0 && j < out
                           ? common::weightAt(w, bf16, common::featureElement(inOut, in, out, j, c))
                           : 0.0f;
    }
  }
}

// lC [m, r] = L[dropped]: left's rows (layout 0) or right's columns (layout 1).
__global__ void gatherPair(float *lC, const float *left, const float *right, bool inOut,
                           const int32_t *dropped, int64_t m, int64_t r, int64_t out) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < m * r;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t d = e / r, q = e % r, j = dropped[d];
    lC[e] = inOut ? right[q * out + j] : left[j * r + q];
  }
}

} // namespace

int32_t sampledLinearGrad(void *context, float *dx, int32_t *columns, const int32_t *previous,
                          const float *dy, const void *w, const float *left, const float *right,
                          const float *norms, float *work, int64_t n, int64_t in, int64_t out,
                          int64_t k, int64_t r, int64_t refresh, int32_t layout, int32_t wBf16,
                          const int32_t *step) {
  Context &c = contextOf(context);
  const bool inOut = layout != 0, bf16 = wBf16 != 0;
  if (k < 1 || k > out || r < 1 || refresh < 1)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  int32_t hostStep = 0;
  if (cudaMemcpyAsync(&hostStep, step, sizeof hostStep, cudaMemcpyDeviceToHost, c.stream) != cudaSuccess ||
      cudaStreamSynchronize(c.stream) != cudaSuccess)
    return launchStatus(c, "sampled_linear_grad step");
  const int64_t m = out - k;
  // The CPU's layout (workspace.h): scores, feature ids, gathered dy, W's kept features, the
  // pair's dropped rows, their product with dy.
  float *score = work;
  int32_t *ids = reinterpret_cast<int32_t *>(work + out);
  float *dyS = work + 2 * out;
  float *wS = dyS + n * std::max(k, m);
  float *lC = wS + k * in;
  float *t = lC + m * r;
  int32_t s = SLIMTUNE_KERNEL_OK;
  if (hostStep % refresh == 0) {
    scoreFeatures<<<blocksFor(out), kThreads, 0, c.stream>>>(score, dy, norms, n, out);
    if ((s = launchStatus(c, "sampled_linear_grad score")))
      return s;
    selectColumns<<<1, kSelectThreads, 0, c.stream>>>(columns, score, out, k);
    if ((s = launchStatus(c, "sampled_linear_grad select")))
      return s;
  } else if (columns != previous &&
             cudaMemcpyAsync(columns, previous, k * sizeof(int32_t), cudaMemcpyDeviceToDevice,
                             c.stream) != cudaSuccess) {
    return launchStatus(c, "sampled_linear_grad columns");
  }
  if (hostStep == 0) { // exact: every feature, k at a time
    for (int64_t first = 0; first < out; first += k) {
      const int64_t count = std::min(k, out - first);
      gather<<<blocksFor(n * count + count * in), kThreads, 0, c.stream>>>(
          dyS, wS, dy, w, bf16, inOut, nullptr, first, count, n, in, out);
      if ((s = launchStatus(c, "sampled_linear_grad gather")) ||
          (s = gemm(c, false, false, n, in, count, 1.0f, dyS, count, wS, in,
                    first == 0 ? 0.0f : 1.0f, dx, in, "sampled_linear_grad")))
        return s;
    }
    return SLIMTUNE_KERNEL_OK;
  }
  gather<<<blocksFor(n * k + k * in), kThreads, 0, c.stream>>>(dyS, wS, dy, w, bf16, inOut,
                                                              columns, 0, k, n, in, out);
  if ((s = launchStatus(c, "sampled_linear_grad gather")) ||
      (s = gemm(c, false, false, n, in, k, 1.0f, dyS, k, wS, in, 0.0f, dx, in, "sampled_linear_grad")))
    return s;
  if (m == 0)
    return SLIMTUNE_KERNEL_OK;
  complementOf<<<1, kSelectThreads, 0, c.stream>>>(ids, reinterpret_cast<int32_t *>(score),
                                                   columns, k, out);
  if ((s = launchStatus(c, "sampled_linear_grad complement")))
    return s;
  gather<<<blocksFor(n * m), kThreads, 0, c.stream>>>(dyS, nullptr, dy, w, bf16, inOut, ids, 0, m,
                                                      n, in, out);
  gatherPair<<<blocksFor(m * r), kThreads, 0, c.stream>>>(lC, left, right, inOut, ids, m, r, out);
  if ((s = launchStatus(c, "sampled_linear_grad gather dropped")) ||
      (s = gemm(c, false, false, n, r, m, 1.0f, dyS, m, lC, r, 0.0f, t, r, "sampled_linear_grad pair")))
    return s;
  return inOut ? gemm(c, false, true, n, in, r, 1.0f, t, r, left, r, 1.0f, dx, in, "sampled_linear_grad pair")
               : gemm(c, false, false, n, in, r, 1.0f, t, r, right, in, 1.0f, dx, in, "sampled_linear_grad pair");
}

} // namespace slimtune::cuda
