// Reductions within a warp and within a block that give the same bits every run: butterfly
// shuffles inside a warp, then every warp combines the warps' results in the same fixed
// order. The order depends only on blockDim, so a kernel launched with a fixed block size is
// deterministic. Shared by the row reductions (norms, cross-entropy) and the whole-tensor
// ones (sum_squares, quantize's ranges).
#ifndef SLIMTUNE_KERNELS_CUDA_BLOCK_REDUCE_CUH
#define SLIMTUNE_KERNELS_CUDA_BLOCK_REDUCE_CUH

#include <cuda_runtime.h>

namespace slimtune::cuda {

struct SumOp {
  template <typename T> __device__ T operator()(T a, T b) const { return a + b; }
};
// As std::min and std::max (a NaN in the second place is dropped): both are exact, so any
// order of combining gives the same value.
struct MinOp {
  __device__ float operator()(float a, float b) const { return b < a ? b : a; }
};
struct MaxOp {
  __device__ float operator()(float a, float b) const { return a < b ? b : a; }
};

// Every lane ends with the warp's result: both lanes of a butterfly pair compute op(a, b) of
// the same two values, which the ops above give alike in either order.
template <typename T, typename Op> __device__ inline T warpAllReduce(T v, Op op) {
  for (int offset = 16; offset > 0; offset >>= 1)
    v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Every thread of the block ends with the block's result. All threads must call it (it holds
// two barriers); blockDim.x a multiple of 32, at most 1024; 1-D blocks.
template <typename T, typename Op> __device__ inline T blockAllReduce(T v, T identity, Op op) {
  __shared__ T partial[32];
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  v = warpAllReduce(v, op);
  __syncthreads(); // an earlier call's readers are done with `partial`
  if (lane == 0)
    partial[warp] = v;
  __syncthreads();
  return warpAllReduce(lane < (blockDim.x >> 5) ? partial[lane] : identity, op);
}

} // namespace slimtune::cuda

#endif // SLIMTUNE_KERNELS_CUDA_BLOCK_REDUCE_CUH
