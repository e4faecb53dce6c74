// Gradients of causal grouped-query attention, flash style in fp32: the probabilities are
// recomputed from the forward's lse (P_ij = exp(scale q_i.k_j - lse_i)), no t x t matrix is
// stored, and every output element is summed by one thread in a fixed order: deterministic,
// no atomics, dq, dk, dv fully overwritten. Three kernels on the stream, in order:
//
//   rowDot: D_i = dout_i . o_i into the first half of the workspace, a warp per row.
//   gradKV: a block of 4 warps owns 16 key rows of one (batch, kv head), 4 per warp, their dk
//     and dv in registers (each lane head_dim / 32 channels); it walks every query head of the
//     kv group and the query rows >= its first key in shared-memory tiles of 32 (q and dout).
//     Lane i scores query i of the tile against the warp's 4 keys; the accumulation then walks
//     the tile's queries, each one's p and dS shuffled from the lane that scored it.
//   gradQ: a block owns 16 query rows of one (batch, head), 4 per warp, dq in registers; it
//     walks the keys <= its last row in shared-memory tiles of 32 (k and v), lane j scoring
//     key j of the tile, then accumulating dS_ij k_j over the tile's keys.
//
// Templated on a maximum head dim (32/64/128/256) so the accumulators stay in registers;
// smaller head dims are zero-padded in shared memory. dS_ij = P_ij (dout_i . v_j - D_i).
#include "kernels/cuda/attention_tiles.cuh"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

#include <cmath>

namespace slimtune::cuda {
namespace {

// Both kernels: two [kBlockRows][D] blocks read by broadcast and two [kTile][kPadded] tiles;
// gradKV adds the tile's lse and D.
template <int D> struct Layout : TileLayout<D> {
  static constexpr size_t kSharedFloats =
      2 * size_t(kBlockRows) * D + 2 * size_t(kTile) * TileLayout<D>::kPadded + 2 * kTile;
};

// rowD[(bi * heads + h) * t + i] = dout . o over the row's d channels; rows are taken in memory
// order ((bi * t + i) * heads + h), a warp each, lanes striding the channels.
__global__ void rowDot(float *rowD, const float *dout, const float *o, int64_t rows, int64_t t,
                       int64_t heads, int d) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = int64_t(gridDim.x) * (blockDim.x >> 5);
  for (int64_t row = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; row < rows;
       row += warps) {
    const float *a = dout + row * d, *b = o + row * d;
    float sum = 0.0f;
    for (int c = lane; c < d; c += 32)
      sum = fmaf(a[c], b[c], sum);
    sum = warpSum(sum);
    if (lane == 0) {
      const int64_t bi = row / (t * heads), rest = row % (t * heads);
      rowD[(bi * heads + rest % heads) * t + rest / heads] = sum;
    }
  }
}

// Rows [first, first + count) of a [t, stride] slab (row i at base + i * stride), d channels,
// into shared memory with row stride `pitch`, zero past t and past d.
template <int D>
__device__ __forceinline__ void loadRows(float *dst, int pitch, int count, const float *base,
                                         int64_t stride, int64_t first, int64_t t, int d) {
  for (int e = threadIdx.x; e < count * D; e += blockDim.x) {
    const int row = e / D, c = e % D;
    const int64_t i = first + row;
    dst[row * pitch + c] = i < t && c < d ? base[i * stride + c] : 0.0f;
  }
}

template <int D>
__global__ void __launch_bounds__(kWarps * 32)
    gradKV(float *dk, float *dv, const float *q, const float *k, const float *v, const float *lse,
           const float *dout, const float *rowD, int64_t b, int64_t t, int64_t heads,
           int64_t kvHeads, int d, float scale) {
  using L = Layout<D>;
  extern __shared__ float4 shared4[];
  float *kb = reinterpret_cast<float *>(shared4); // [kBlockRows][D], the block's keys
  float *vb = kb + kBlockRows * D;                // [kBlockRows][D]
  float *qt = vb + kBlockRows * D;                // [kTile][kPadded], the tile's queries
  float *ot = qt + kTile * L::kPadded;            // [kTile][kPadded], their dout
  float *lseT = ot + kTile * L::kPadded;          // [kTile]
  float *dT = lseT + kTile;                       // [kTile]

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t group = heads / kvHeads, qStride = heads * d, kvStride = kvHeads * d;
  const int dRound = (d + 3) & ~3;
  // Block 0 holds the keys with the most queries after them: first on the device.
  const int64_t j0 = int64_t(blockIdx.x) * kBlockRows;
  const int64_t warpFirst = j0 + warp * kRows;

  for (int64_t bg = blockIdx.y; bg < b * kvHeads; bg += gridDim.y) {
    const int64_t bi = bg / kvHeads, g = bg % kvHeads;
    __syncthreads(); // the previous pair's readers are done with kb, vb
    loadRows<D>(kb, D, kBlockRows, k + bi * t * kvStride + g * d, kvStride, j0, t, d);
    loadRows<D>(vb, D, kBlockRows, v + bi * t * kvStride + g * d, kvStride, j0, t, d);

    float dkAcc[kRows][L::kPerLane], dvAcc[kRows][L::kPerLane];
#pragma unroll
    for (int r = 0; r < kRows; ++r)
#pragma unroll
      for (int x = 0; x < L::kPerLane; ++x)
        dkAcc[r][x] = dvAcc[r][x] = 0.0f;

    for (int64_t h = g * group; h < (g + 1) * group; ++h) {
      const float *qBase = q + bi * t * qStride + h * d;
      const float *oBase = dout + bi * t * qStride + h * d;
      const float *lseRow = lse + (bi * heads + h) * t;
      const float *dRow = rowD + (bi * heads + h) * t;
      // Queries before j0 see none of the block's keys.
      for (int64_t i0 = j0; i0 < t; i0 += kTile) {
        __syncthreads(); // kb, vb written; the previous tile's readers are done
        loadRows<D>(qt, L::kPadded, kTile, qBase, qStride, i0, t, d);
        loadRows<D>(ot, L::kPadded, kTile, oBase, qStride, i0, t, d);
        if (threadIdx.x < kTile) {
          const int64_t i = i0 + threadIdx.x;
          lseT[threadIdx.x] = i < t ? lseRow[i] : 0.0f;
          dT[threadIdx.x] = i < t ? dRow[i] : 0.0f;
        }
        __syncthreads();

        float s[kRows], dp[kRows];
#pragma unroll
        for (int r = 0; r < kRows; ++r)
          s[r] = dp[r] = 0.0f;
#pragma unroll 2
        for (int c = 0; c < dRound; c += 4) {
          const float4 qv = load4(qt + lane * L::kPadded + c);
          const float4 ov = load4(ot + lane * L::kPadded + c);
#pragma unroll
          for (int r = 0; r < kRows; ++r) {
            s[r] = dot4(qv, load4(kb + (warp * kRows + r) * D + c), s[r]);
            dp[r] = dot4(ov, load4(vb + (warp * kRows + r) * D + c), dp[r]);
          }
        }

        const int64_t i = i0 + lane;
        const float rowLse = lseT[lane], rowDi = dT[lane];
        float p[kRows], ds[kRows];
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
          const int64_t j = warpFirst + r;
          p[r] = i < t && i >= j ? expf(scale * s[r] - rowLse) : 0.0f;
          ds[r] = p[r] * (dp[r] - rowDi);
        }

        // Queries before the warp's first key or past t add nothing: skip (warp-uniform).
        const int iBegin = static_cast<int>(std::max<int64_t>(0, warpFirst - i0));
        const int iEnd = static_cast<int>(std::min<int64_t>(kTile, t - i0));
        for (int ii = iBegin; ii < iEnd; ++ii) {
          accumulateShuffled<D>(dvAcc, p, ii, ot + ii * L::kPadded, lane);
          accumulateShuffled<D>(dkAcc, ds, ii, qt + ii * L::kPadded, lane);
        }
      }
    }

#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const int64_t j = warpFirst + r;
      if (j >= t)
        continue;
      float *dkRow = dk + (bi * t + j) * kvStride + g * d;
      float *dvRow = dv + (bi * t + j) * kvStride + g * d;
#pragma unroll
      for (int ch = 0; ch < L::kChunks; ++ch)
#pragma unroll
        for (int x = 0; x < L::kVec; ++x) {
          const int c = ch * 32 * L::kVec + lane * L::kVec + x;
          if (c < d) {
            dkRow[c] = scale * dkAcc[r][ch * L::kVec + x];
            dvRow[c] = dvAcc[r][ch * L::kVec + x];
          }
        }
    }
  }
}

template <int D>
__global__ void __launch_bounds__(kWarps * 32)
    gradQ(float *dq, const float *q, const float *k, const float *v, const float *lse,
          const float *dout, const float *rowD, int64_t b, int64_t t, int64_t heads,
          int64_t kvHeads, int d, float scale) {
  using L = Layout<D>;
  extern __shared__ float4 shared4[];
  float *qb = reinterpret_cast<float *>(shared4); // [kBlockRows][D], the block's queries
  float *ob = qb + kBlockRows * D;                // [kBlockRows][D], their dout
  float *kt = ob + kBlockRows * D;                // [kTile][kPadded], the tile's keys
  float *vt = kt + kTile * L::kPadded;            // [kTile][kPadded]

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t group = heads / kvHeads, qStride = heads * d, kvStride = kvHeads * d;
  const int dRound = (d + 3) & ~3;
  // Latest query blocks (longest causal rows) first.
  const int64_t q0 = (int64_t(gridDim.x) - 1 - blockIdx.x) * kBlockRows;
  const int64_t blockLast = std::min<int64_t>(q0 + kBlockRows, t) - 1;
  const int64_t warpFirst = q0 + warp * kRows;
  const int64_t warpLast = std::min<int64_t>(warpFirst + kRows, t) - 1; // < warpFirst: none

  for (int64_t bh = blockIdx.y; bh < b * heads; bh += gridDim.y) {
    const int64_t bi = bh / heads, h = bh % heads, g = h / group;
    const float *kBase = k + bi * t * kvStride + g * d;
    const float *vBase = v + bi * t * kvStride + g * d;
    __syncthreads(); // the previous pair's readers are done with qb, ob
    loadRows<D>(qb, D, kBlockRows, q + bi * t * qStride + h * d, qStride, q0, t, d);
    loadRows<D>(ob, D, kBlockRows, dout + bi * t * qStride + h * d, qStride, q0, t, d);

    float rowLse[kRows], rowDi[kRows], acc[kRows][L::kPerLane];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const int64_t i = warpFirst + r;
      rowLse[r] = i < t ? lse[bh * t + i] : 0.0f;
      rowDi[r] = i < t ? rowD[bh * t + i] : 0.0f;
#pragma unroll
      for (int x = 0; x < L::kPerLane; ++x)
        acc[r][x] = 0.0f;
    }

    for (int64_t k0 = 0; k0 <= blockLast; k0 += kTile) {
      __syncthreads(); // qb, ob written; the previous tile's readers are done
      loadRows<D>(kt, L::kPadded, kTile, kBase, kvStride, k0, t, d);
      loadRows<D>(vt, L::kPadded, kTile, vBase, kvStride, k0, t, d);
      __syncthreads();

      float s[kRows], dp[kRows];
#pragma unroll
      for (int r = 0; r < kRows; ++r)
        s[r] = dp[r] = 0.0f;
#pragma unroll 2
      for (int c = 0; c < dRound; c += 4) {
        const float4 kv = load4(kt + lane * L::kPadded + c);
        const float4 vv = load4(vt + lane * L::kPadded + c);
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
          s[r] = dot4(load4(qb + (warp * kRows + r) * D + c), kv, s[r]);
          dp[r] = dot4(load4(ob + (warp * kRows + r) * D + c), vv, dp[r]);
        }
      }

      const int64_t j = k0 + lane;
      float ds[kRows];
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const int64_t i = warpFirst + r;
        ds[r] = i < t && j <= i ? expf(scale * s[r] - rowLse[r]) * (dp[r] - rowDi[r]) : 0.0f;
      }

      // Keys past the warp's last row add nothing to its rows: skip them (warp-uniform).
      const int jEnd = static_cast<int>(std::min<int64_t>(kTile, warpLast - k0 + 1));
      for (int jj = 0; jj < jEnd; ++jj)
        accumulateShuffled<D>(acc, ds, jj, kt + jj * L::kPadded, lane);
    }

#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const int64_t i = warpFirst + r;
      if (i >= t)
        continue;
      float *dqRow = dq + (bi * t + i) * qStride + h * d;
#pragma unroll
      for (int ch = 0; ch < L::kChunks; ++ch)
#pragma unroll
        for (int x = 0; x < L::kVec; ++x) {
          const int c = ch * 32 * L::kVec + lane * L::kVec + x;
          if (c < d)
            dqRow[c] = scale * acc[r][ch * L::kVec + x];
        }
    }
  }
}

// Past the default 48 KiB a kernel must ask for its dynamic shared memory.
template <typename Kernel>
int32_t allowShared(Context &c, Kernel kernel, size_t bytes) {
  if (bytes <= 48 * 1024)
    return SLIMTUNE_KERNEL_OK;
  const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             static_cast<int>(bytes));
  if (e == cudaSuccess)
    return SLIMTUNE_KERNEL_OK;
  (void)cudaGetLastError(); // reported here, not again by the next launch's check
  recordFailure(c, "attention_grad shared memory", cudaGetErrorName(e));
  return SLIMTUNE_KERNEL_DEVICE_ERROR;
}

template <int D>
int32_t launchGrad(Context &c, float *dq, float *dk, float *dv, const float *q, const float *k,
                   const float *v, const float *lse, const float *dout, const float *rowD,
                   int64_t b, int64_t t, int64_t heads, int64_t kvHeads, int d, float scale) {
  const size_t bytes = Layout<D>::kSharedFloats * sizeof(float);
  const unsigned blocks = static_cast<unsigned>((t + kBlockRows - 1) / kBlockRows);
  int32_t s = SLIMTUNE_KERNEL_OK;
  if ((s = allowShared(c, gradKV<D>, bytes)) || (s = allowShared(c, gradQ<D>, bytes)))
    return s;
  gradKV<D><<<dim3(blocks, static_cast<unsigned>(std::min<int64_t>(b * kvHeads, kMaxBlocks))),
              kWarps * 32, bytes, c.stream>>>(dk, dv, q, k, v, lse, dout, rowD, b, t, heads,
                                              kvHeads, d, scale);
  if ((s = launchStatus(c, "attention_grad dk dv")))
    return s;
  gradQ<D><<<dim3(blocks, static_cast<unsigned>(std::min<int64_t>(b * heads, kMaxBlocks))),
             kWarps * 32, bytes, c.stream>>>(dq, q, k, v, lse, dout, rowD, b, t, heads, kvHeads,
                                             d, scale);
  return launchStatus(c, "attention_grad dq");
}

} // namespace

// dq [b, t, heads*d], dk, dv [b, t, kvHeads*d] overwritten; work: D [b, heads, t], then an
// unused second half (workspace.h).
int32_t attentionGrad(void *context, float *dq, float *dk, float *dv, const float *q,
                      const float *k, const float *v, const float *o, const float *lse,
                      const float *dout, float *work, int64_t b, int64_t t, int64_t heads,
                      int64_t kvHeads, int64_t headDim, float scale) {
  Context &c = contextOf(context);
  if (b < 0 || t < 0 || heads < 0 || kvHeads <= 0 || heads % kvHeads != 0 || headDim < 0 ||
      headDim > kMaxHeadDim || (t + kBlockRows - 1) / kBlockRows > INT32_MAX)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  if (b == 0 || t == 0 || heads == 0 || headDim == 0) // every gradient is empty
    return SLIMTUNE_KERNEL_OK;
  const int d = static_cast<int>(headDim);
  const int64_t rows = b * t * heads;
  rowDot<<<blocksFor(rows * 32), kThreads, 0, c.stream>>>(work, dout, o, rows, t, heads, d);
  if (int32_t s = launchStatus(c, "attention_grad rowsum"))
    return s;
  if (d <= 32)
    return launchGrad<32>(c, dq, dk, dv, q, k, v, lse, dout, work, b, t, heads, kvHeads, d, scale);
  if (d <= 64)
    return launchGrad<64>(c, dq, dk, dv, q, k, v, lse, dout, work, b, t, heads, kvHeads, d, scale);
  if (d <= 128)
    return launchGrad<128>(c, dq, dk, dv, q, k, v, lse, dout, work, b, t, heads, kvHeads, d,
                           scale);
  return launchGrad<256>(c, dq, dk, dv, q, k, v, lse, dout, work, b, t, heads, kvHeads, d, scale);
}

} // namespace slimtune::cuda
