// Causal grouped-query attention, forward, flash style in fp32: no t x t matrix anywhere; each
// query row keeps a running maximum, sum and output in registers while the keys stream past in
// shared-memory tiles (online softmax), and only o and the row's logsumexp are written.
//
// Parallelisation: a block of 4 warps owns 16 consecutive query rows of one (batch, head), 4
// rows per warp; grid x walks the query blocks (latest, i.e. longest causal rows, first), grid
// y the (batch, head) pairs. The block streams the keys 0..its last row in tiles of 32 (K and
// V in shared memory). Scores: lane j of a warp owns key j of the tile and dots it with the
// warp's 4 query rows (broadcast from shared memory). P V: every lane owns head_dim / 32 output
// channels of the 4 rows and walks the tile's keys, each key's probabilities shuffled from the
// lane that scored it. Templated on a maximum head dim (32/64/128/256) so the per-row
// accumulators stay in registers; smaller head dims are zero-padded in shared memory.
#include "kernels/cuda/attention_tiles.cuh"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

#include <cmath>

namespace slimtune::cuda {
namespace {

// Shared memory: the block's queries, the key tile (padded: read a row per lane) and the value
// tile (read a row per warp).
template <int D> struct Layout : TileLayout<D> {
  static constexpr size_t kSharedFloats = size_t(kBlockRows) * D +
                                          size_t(kTile) * TileLayout<D>::kPadded +
                                          size_t(kTile) * D;
};

template <int D>
__global__ void __launch_bounds__(kWarps * 32)
    attentionForward(float *o, float *lse, const float *q, const float *k, const float *v,
                     int64_t b, int64_t t, int64_t heads, int64_t kvHeads, int d, float scale) {
  using L = Layout<D>;
  extern __shared__ float4 shared4[];
  float *qs = reinterpret_cast<float *>(shared4); // [kBlockRows][D]
  float *ks = qs + kBlockRows * D;                // [kTile][kPadded]
  float *vs = ks + kTile * L::kPadded;            // [kTile][D]

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t group = heads / kvHeads, qStride = heads * d, kvStride = kvHeads * d;
  const int dRound = (d + 3) & ~3; // the dots' extent: whole float4s, zero-padded past d
  const int64_t q0 = (int64_t(gridDim.x) - 1 - blockIdx.x) * kBlockRows;
  const int64_t blockLast = std::min<int64_t>(q0 + kBlockRows, t) - 1;
  const int64_t warpFirst = q0 + warp * kRows;
  const int64_t warpLast = std::min<int64_t>(warpFirst + kRows, t) - 1; // < warpFirst: none

  for (int64_t bh = blockIdx.y; bh < b * heads; bh += gridDim.y) {
    const int64_t bi = bh / heads, h = bh % heads, g = h / group;
    const float *qBase = q + bi * t * qStride + h * d;
    const float *kBase = k + bi * t * kvStride + g * d;
    const float *vBase = v + bi * t * kvStride + g * d;

    __syncthreads(); // the previous pair's readers are done with qs, ks, vs
    for (int e = threadIdx.x; e < kBlockRows * D; e += blockDim.x) {
      const int row = e / D, c = e % D;
      const int64_t i = q0 + row;
      qs[e] = i < t && c < d ? qBase[i * qStride + c] : 0.0f;
    }

    float m[kRows], lPart[kRows], acc[kRows][L::kPerLane];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      m[r] = -INFINITY;
      lPart[r] = 0.0f; // this lane's share of the row's sum, rescaled with the row's maximum
#pragma unroll
      for (int x = 0; x < L::kPerLane; ++x)
        acc[r][x] = 0.0f;
    }

    // Every tile starts at or before q0, so each row sees at least one unmasked key in every
    // tile and its running maximum is finite after the first.
    for (int64_t k0 = 0; k0 <= blockLast; k0 += kTile) {
      __syncthreads(); // qs written; the previous tile's readers are done
      for (int e = threadIdx.x; e < kTile * D; e += blockDim.x) {
        const int row = e / D, c = e % D;
        const int64_t j = k0 + row;
        const bool in = j < t && c < d;
        ks[row * L::kPadded + c] = in ? kBase[j * kvStride + c] : 0.0f;
        vs[row * D + c] = in ? vBase[j * kvStride + c] : 0.0f;
      }
      __syncthreads();

      float s[kRows];
#pragma unroll
      for (int r = 0; r < kRows; ++r)
        s[r] = 0.0f;
      const float *kRow = ks + lane * L::kPadded;
#pragma unroll 4
      for (int c = 0; c < dRound; c += 4) {
        const float4 kv = load4(kRow + c);
#pragma unroll
        for (int r = 0; r < kRows; ++r)
          s[r] = dot4(load4(qs + (warp * kRows + r) * D + c), kv, s[r]);
      }

      const int64_t j = k0 + lane;
      float p[kRows];
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const float score = j <= warpFirst + r && j < t ? scale * s[r] : -INFINITY;
        const float mNew = fmaxf(m[r], warpMax(score));
        const float alpha = expf(m[r] - mNew);
        p[r] = expf(score - mNew);
        lPart[r] = lPart[r] * alpha + p[r];
#pragma unroll
        for (int x = 0; x < L::kPerLane; ++x)
          acc[r][x] *= alpha;
        m[r] = mNew;
      }

      // Keys past the warp's last row have p = 0 in all its rows: skip them (warp-uniform).
      const int jEnd = static_cast<int>(std::min<int64_t>(kTile, warpLast - k0 + 1));
      for (int jj = 0; jj < jEnd; ++jj)
        accumulateShuffled<D>(acc, p, jj, vs + jj * D, lane);
    }

#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const int64_t i = warpFirst + r;
      const float l = warpSum(lPart[r]);
      if (i >= t)
        continue;
      float *oRow = o + (bi * t + i) * qStride + h * d;
      const float inverse = 1.0f / l;
#pragma unroll
      for (int ch = 0; ch < L::kChunks; ++ch)
#pragma unroll
        for (int x = 0; x < L::kVec; ++x) {
          const int c = ch * 32 * L::kVec + lane * L::kVec + x;
          if (c < d)
            oRow[c] = acc[r][ch * L::kVec + x] * inverse;
        }
      if (lane == 0)
        lse[bh * t + i] = m[r] + logf(l);
    }
  }
}

template <int D>
int32_t launchForward(Context &c, float *o, float *lse, const float *q, const float *k,
                      const float *v, int64_t b, int64_t t, int64_t heads, int64_t kvHeads,
                      int d, float scale) {
  const size_t bytes = Layout<D>::kSharedFloats * sizeof(float);
  if (bytes > 48 * 1024) { // past the default limit a kernel must ask for its shared memory
    const cudaError_t e = cudaFuncSetAttribute(
        attentionForward<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
    if (e != cudaSuccess) {
      (void)cudaGetLastError(); // reported here, not again by the next launch's check
      recordFailure(c, "attention shared memory", cudaGetErrorName(e));
      return SLIMTUNE_KERNEL_DEVICE_ERROR;
    }
  }
  const dim3 grid(static_cast<unsigned>((t + kBlockRows - 1) / kBlockRows),
                  static_cast<unsigned>(std::min<int64_t>(b * heads, kMaxBlocks)));
  attentionForward<D><<<grid, kWarps * 32, bytes, c.stream>>>(o, lse, q, k, v, b, t, heads,
                                                               kvHeads, d, scale);
  return launchStatus(c, "attention");
}

} // namespace

// o [b, t, heads*d], lse [b, heads, t] from q [b, t, heads*d], k, v [b, t, kvHeads*d]; work is
// not needed (workspace.h).
int32_t attention(void *context, float *o, float *lse, const float *q, const float *k,
                  const float *v, float *work, int64_t b, int64_t t, int64_t heads, int64_t kvHeads,
                  int64_t headDim, float scale) {
  (void)work;
  Context &c = contextOf(context);
  if (b < 0 || t < 0 || heads < 0 || kvHeads <= 0 || heads % kvHeads != 0 || headDim < 0 ||
      headDim > kMaxHeadDim || (t + kBlockRows - 1) / kBlockRows > INT32_MAX)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  if (b == 0 || t == 0 || heads == 0)
    return SLIMTUNE_KERNEL_OK;
  // headDim 0 still runs: o is empty but every row's lse is log(i + 1).
  const int d = static_cast<int>(headDim);
  if (d <= 32)
    return launchForward<32>(c, o, lse, q, k, v, b, t, heads, kvHeads, d, scale);
  if (d <= 64)
    return launchForward<64>(c, o, lse, q, k, v, b, t, heads, kvHeads, d, scale);
  if (d <= 128)
    return launchForward<128>(c, o, lse, q, k, v, b, t, heads, kvHeads, d, scale);
  return launchForward<256>(c, o, lse, q, k, v, b, t, heads, kvHeads, d, scale);
}

} // namespace slimtune::cuda
