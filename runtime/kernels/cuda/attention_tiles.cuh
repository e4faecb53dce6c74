// The tiling that the flash-style attention passes share: the forward (attention.cu) and the
// backward (attention_grad.cu) both give a block of 4 warps 16 rows, 4 per warp, held in
// registers, and stream the other side's rows past in shared-memory tiles of 32, one per lane.
// A lane scores its tile row against the warp's rows; the accumulation then walks the tile's
// rows, each row's coefficients shuffled from the lane that scored it, every lane owning
// head_dim / 32 channels. Here: that geometry, the per-lane channel layout, the small vector
// and warp helpers, and that shuffled-coefficient accumulate step. Each pass keeps its own
// shared-memory budget (Layout<D>::kSharedFloats) and its kernels.
//
// Private to those two files. Everything is a compile-time constant or forced inline, so
// including it changes neither the code generated nor the order of any arithmetic.
#ifndef SLIMTUNE_KERNELS_CUDA_ATTENTION_TILES_CUH
#define SLIMTUNE_KERNELS_CUDA_ATTENTION_TILES_CUH

#include <cuda_runtime.h>

namespace slimtune::cuda {

constexpr int kWarps = 4;
constexpr int kRows = 4;                   // register-held rows per warp
constexpr int kBlockRows = kWarps * kRows; // register-held rows per block
constexpr int kTile = 32;                  // streamed rows per tile: one per lane
constexpr int kMaxHeadDim = 256;

// Templated on a maximum head dim (32/64/128/256) so the accumulators stay in registers.
template <int D> struct TileLayout {
  // Channels a lane owns contiguously (one vector load) and how many such chunks: chunk ch of
  // lane l covers [ch * 32 * kVec + l * kVec, + kVec), so a warp reads a row contiguously.
  static constexpr int kVec = D >= 128 ? 4 : D / 32;
  static constexpr int kChunks = D / (32 * kVec);
  static constexpr int kPerLane = kChunks * kVec;
  // Row stride of a tile read one row per lane: 4 floats of padding keep a quarter warp's
  // float4 loads on distinct banks (and rows 16-byte aligned).
  static constexpr int kPadded = D + 4;
};

template <int V> __device__ __forceinline__ void loadVec(const float *p, float *out) {
  if constexpr (V == 4) {
    const float4 x = *reinterpret_cast<const float4 *>(p);
    out[0] = x.x, out[1] = x.y, out[2] = x.z, out[3] = x.w;
  } else if constexpr (V == 2) {
    const float2 x = *reinterpret_cast<const float2 *>(p);
    out[0] = x.x, out[1] = x.y;
  } else {
    out[0] = *p;
  }
}

__device__ __forceinline__ float4 load4(const float *p) {
  return *reinterpret_cast<const float4 *>(p);
}

__device__ __forceinline__ float dot4(float4 a, float4 b, float acc) {
  acc = fmaf(a.x, b.x, acc);
  acc = fmaf(a.y, b.y, acc);
  acc = fmaf(a.z, b.z, acc);
  return fmaf(a.w, b.w, acc);
}

// Butterfly reductions: every lane ends with the same bits (each step adds the same two partial
// sums, only commuted), so lanes agree on the maximum and the sum.
__device__ __forceinline__ float warpMax(float x) {
  for (int offset = 16; offset > 0; offset >>= 1)
    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, offset));
  return x;
}
__device__ __forceinline__ float warpSum(float x) {
  for (int offset = 16; offset > 0; offset >>= 1)
    x += __shfl_xor_sync(0xffffffffu, x, offset);
  return x;
}

// One step of the accumulation over a tile: acc[r][:] += coef_r * row[:] over the lane's
// channels, for the warp's kRows rows, where coef_r is coef[r] as held by lane `src` (the lane
// that scored tile row `src`) and `row` is that tile row in shared memory. Each accumulator
// gets exactly one fmaf, so calling it for src = 0, 1, ... fixes every element's order.
// All lanes of the warp must call it (it shuffles).
template <int D>
__device__ __forceinline__ void accumulateShuffled(float (&acc)[kRows][TileLayout<D>::kPerLane],
                                                   const float (&coef)[kRows], int src,
                                                   const float *row, int lane) {
  using L = TileLayout<D>;
  float c[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r)
    c[r] = __shfl_sync(0xffffffffu, coef[r], src);
#pragma unroll
  for (int ch = 0; ch < L::kChunks; ++ch) {
    float v[L::kVec];
    loadVec<L::kVec>(row + ch * 32 * L::kVec + lane * L::kVec, v);
#pragma unroll
    for (int r = 0; r < kRows; ++r)
#pragma unroll
      for (int x = 0; x < L::kVec; ++x)
        acc[r][ch * L::kVec + x] = fmaf(c[r], v[x], acc[r][ch * L::kVec + x]);
  }
}

} // namespace slimtune::cuda

#endif // SLIMTUNE_KERNELS_CUDA_ATTENTION_TILES_CUH
