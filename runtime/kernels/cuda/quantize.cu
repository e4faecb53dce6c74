// The Mesa stash codec: quantize, quantize_ema, dequantize (kernel_abi.h), every element coded
// and decoded by kernels/common/stash_codec.h as the CPU's reference does.
//
// quantize and dequantize: one warp per group (grid-stride over groups). The warp finds the
// group's min and max by shuffles (exact, so in any order the reference's), then each lane
// packs whole code bytes. When every group starts and ends on a byte boundary (the usual case)
// no byte is shared and the bytes are stored; otherwise groups share their end bytes, so the
// code bytes are cleared first and every byte is OR-ed in atomically (OR commutes: the same
// bits every run).
//
// quantize_ema: the batch's min and max per channel group over all rows first: blocks of
// (channel group, slice of the rows), each writing its slice's range to the context's scratch,
// then one thread per channel group folds the slices and updates the moving range in place
// (with one slice the block does it itself); then every group is coded as above with the
// moving range. The step number is read on the device.
#include "kernels/common/rounding.h"
#include "kernels/common/stash_codec.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

constexpr int kWarpsPerBlock = kThreads / 32;

// Where a tensor's codes go: [f32 step, f32 lo] per group, then the code bytes.
struct Stash {
  int64_t perRow, groups, codeBytes;
  bool ownBytes; // every group starts and ends on a byte boundary
};
Stash stashOf(int64_t rows, int64_t channels, int64_t group, int32_t bits) {
  const int64_t perRow = common::groupsPerRow(channels, group);
  return {perRow, rows * perRow, (rows * channels * bits + 7) / 8,
          (group * bits) % 8 == 0 && (channels * bits) % 8 == 0};
}

__device__ inline int64_t firstWarp() {
  return blockIdx.x * static_cast<int64_t>(kWarpsPerBlock) + threadIdx.x / 32;
}
__device__ inline int64_t warpCount() { return static_cast<int64_t>(gridDim.x) * kWarpsPerBlock; }

// OR into one byte through its aligned 32-bit word (little-endian): the only atomic OR there
// is. The word never starts before the code bytes (they start 8-byte aligned after the
// params) and never leaves the allocation (granules are larger than a word); bytes of it
// outside this group get zero bits.
__device__ inline void orByte(uint8_t *byte, unsigned bits) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(byte);
  atomicOr(reinterpret_cast<unsigned *>(address & ~uintptr_t(3)), bits << (8 * (address & 3)));
}

struct Coding {
  int32_t bits, stochastic;
  int64_t seed;
  const int32_t *step; // may be null: step 0
};

// Group g (number k) of the calling warp, for the range [lo, lo + width]: its step and lo
// into params, its codes into the code bytes, each lane packing whole bytes.
__device__ void encodeGroup(uint8_t *codes, float *params, const float *x,
                            const common::GroupSpan &g, int64_t k, bool ownBytes,
                            const Coding &coding, float lo, float width) {
  const int32_t bits = coding.bits, at = coding.step ? *coding.step : 0;
  const float levels = static_cast<float>((1 << bits) - 1);
  const common::CodeScale s = common::codeScale(width, levels);
  const unsigned lane = threadIdx.x % 32;
  if (lane == 0) {
    params[2 * k] = s.step;
    params[2 * k + 1] = lo;
  }
  const int perByte = 8 / bits;
  const int64_t end = g.first + g.length;
  const int64_t firstByte = g.first / perByte, lastByte = (end - 1) / perByte;
  for (int64_t byte = firstByte + lane; byte <= lastByte; byte += 32) {
    unsigned packed = 0;
    for (int e = 0; e < perByte; ++e) {
      const int64_t i = byte * perByte + e;
      if (i < g.first || i >= end)
        continue;
      const float u = common::roundingOffset(coding.stochastic, coding.seed, at, i);
      packed |= static_cast<unsigned>(common::quantizeCode(x[i], lo, s.scale, u, levels))
                << (e * bits);
    }
    if (ownBytes)
      codes[byte] = static_cast<uint8_t>(packed);
    else if (packed != 0)
      orByte(codes + byte, packed & 0xffu);
  }
}

// quantize: each group coded with its own range.
__global__ void quantizeKernel(uint8_t *out, const float *x, int64_t channels, int64_t group,
                               Stash stash, Coding coding) {
  auto *params = reinterpret_cast<float *>(out);
  uint8_t *codes = out + stash.groups * 2 * sizeof(float);
  for (int64_t k = firstWarp(); k < stash.groups; k += warpCount()) {
    const common::GroupSpan g = common::groupSpan(k, channels, group, stash.perRow);
    // Every lane starts from the group's first value, as the reference does.
    float lo = x[g.first], hi = lo;
    for (int64_t j = threadIdx.x % 32; j < g.length; j += 32) {
      lo = MinOp{}(lo, x[g.first + j]);
      hi = MaxOp{}(hi, x[g.first + j]);
    }
    lo = warpAllReduce(lo, MinOp{});
    hi = warpAllReduce(hi, MaxOp{});
    encodeGroup(codes, params, x, g, k, stash.ownBytes, coding, lo, hi - lo);
  }
}

// quantize_ema's coding: each group with its channel group's moving range.
__global__ void quantizeRangeKernel(uint8_t *out, const float *x, const float *range,
                                    int64_t channels, int64_t group, Stash stash, Coding coding) {
  auto *params = reinterpret_cast<float *>(out);
  uint8_t *codes = out + stash.groups * 2 * sizeof(float);
  for (int64_t k = firstWarp(); k < stash.groups; k += warpCount()) {
    const common::GroupSpan g = common::groupSpan(k, channels, group, stash.perRow);
    const float lo = range[2 * g.channelGroup];
    encodeGroup(codes, params, x, g, k, stash.ownBytes, coding, lo,
                range[2 * g.channelGroup + 1] - lo);
  }
}

// The moving range of channel group c after this batch's [lo, hi]: the batch's at step 0,
// else decay * range + (1 - decay) * the batch's, rounded as the CPU (no fused multiply-add).
__device__ inline void updateRange(float *range, int64_t c, float lo, float hi,
                                   const int32_t *step, float decay) {
  if (!step || *step == 0) {
    range[2 * c] = lo;
    range[2 * c + 1] = hi;
    return;
  }
  using common::addRn;
  using common::mulRn;
  range[2 * c] = addRn(mulRn(decay, range[2 * c]), mulRn(1.0f - decay, lo));
  range[2 * c + 1] = addRn(mulRn(decay, range[2 * c + 1]), mulRn(1.0f - decay, hi));
}

// Slices of the rows for quantize_ema's batch range: enough blocks to fill the GPU, each
// slice's range (2 floats per channel group) within the scratch.
constexpr int64_t kTargetBlocks = 512, kMaxSlices = 1024;

// Block (c, slice): channel group c's min and max over rows [slice * rowsPerSlice, +rowsPerSlice).
// Threads cover `span` channels of `rowLanes` rows at a time (span = the group's length, up to
// the block), so no division per element.
__global__ void channelRangeKernel(float2 *partials, float *range, const float *x, int64_t rows,
                                   int64_t channels, int64_t group, int64_t perRow,
                                   int64_t rowsPerSlice, const int32_t *step, float decay) {
  const int64_t slice = blockIdx.y, begin = slice * rowsPerSlice;
  const int64_t end = begin + rowsPerSlice < rows ? begin + rowsPerSlice : rows;
  for (int64_t c = blockIdx.x; c < perRow; c += gridDim.x) {
    const int64_t length = common::groupSpan(c, channels, group, perRow).length;
    const int64_t span = length < blockDim.x ? length : blockDim.x, rowLanes = blockDim.x / span;
    const int64_t rowLane = threadIdx.x / span, lane = threadIdx.x % span;
    // Row 0's first value starts every thread, as the reference (it is in the set: harmless).
    float lo = x[c * group], hi = lo;
    if (rowLane < rowLanes)
      for (int64_t r = begin + rowLane; r < end; r += rowLanes) {
        const float *v = x + r * channels + c * group;
        for (int64_t j = lane; j < length; j += span) {
          lo = MinOp{}(lo, v[j]);
          hi = MaxOp{}(hi, v[j]);
        }
      }
    const float first = x[c * group];
    lo = blockAllReduce(lo, first, MinOp{});
    hi = blockAllReduce(hi, first, MaxOp{});
    if (threadIdx.x == 0) {
      if (gridDim.y == 1)
        updateRange(range, c, lo, hi, step, decay);
      else
        partials[slice * perRow + c] = make_float2(lo, hi);
    }
  }
}

__global__ void foldSlicesKernel(float *range, const float2 *partials, int64_t perRow,
                                 int64_t slices, const int32_t *step, float decay) {
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < perRow;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float lo = partials[c].x, hi = partials[c].y;
    for (int64_t s = 1; s < slices; ++s) {
      lo = MinOp{}(lo, partials[s * perRow + c].x);
      hi = MaxOp{}(hi, partials[s * perRow + c].y);
    }
    updateRange(range, c, lo, hi, step, decay);
  }
}

__global__ void dequantizeKernel(float *y, const uint8_t *in, int64_t channels, int64_t group,
                                 int32_t bits, Stash stash) {
  const auto *params = reinterpret_cast<const float *>(in);
  const uint8_t *codes = in + stash.groups * 2 * sizeof(float);
  for (int64_t k = firstWarp(); k < stash.groups; k += warpCount()) {
    const common::GroupSpan g = common::groupSpan(k, channels, group, stash.perRow);
    const float stepSize = params[2 * k], lo = params[2 * k + 1];
    for (int64_t i = g.first + threadIdx.x % 32; i < g.first + g.length; i += 32)
      y[i] = common::decode(static_cast<float>(common::codeAt(codes, i, bits)), stepSize, lo);
  }
}

// Clears the code bytes when groups share bytes (they are OR-ed in); 8-aligned after the
// params.
int32_t clearSharedCodes(Context &ctx, uint8_t *out, const Stash &stash, const char *what) {
  if (stash.ownBytes)
    return SLIMTUNE_KERNEL_OK;
  cudaMemsetAsync(out + stash.groups * 2 * sizeof(float), 0, static_cast<size_t>(stash.codeBytes),
                  ctx.stream);
  return launchStatus(ctx, what);
}

} // namespace

int32_t quantize(void *context, uint8_t *out, const float *x, int64_t rows, int64_t channels,
                 int64_t group, int32_t bits, int32_t stochastic, int64_t seed,
                 const int32_t *step) {
  Context &ctx = contextOf(context);
  if (rows <= 0 || channels <= 0)
    return SLIMTUNE_KERNEL_OK;
  const Stash stash = stashOf(rows, channels, group, bits);
  if (int32_t status = clearSharedCodes(ctx, out, stash, "quantize clear"))
    return status;
  quantizeKernel<<<blocksFor(stash.groups * 32), kThreads, 0, ctx.stream>>>(
      out, x, channels, group, stash, Coding{bits, stochastic, seed, step});
  return launchStatus(ctx, "quantize");
}

int32_t dequantize(void *context, float *y, const uint8_t *in, int64_t rows, int64_t channels,
                   int64_t group, int32_t bits) {
  Context &ctx = contextOf(context);
  if (rows <= 0 || channels <= 0)
    return SLIMTUNE_KERNEL_OK;
  const Stash stash = stashOf(rows, channels, group, bits);
  dequantizeKernel<<<blocksFor(stash.groups * 32), kThreads, 0, ctx.stream>>>(y, in, channels,
                                                                             group, bits, stash);
  return launchStatus(ctx, "dequantize");
}

int32_t quantizeEma(void *context, uint8_t *out, const float *x, float *range, int64_t rows,
                    int64_t channels, int64_t group, int32_t bits, int32_t stochastic, int64_t seed,
                    const int32_t *step, float decay) {
  Context &ctx = contextOf(context);
  if (rows <= 0 || channels <= 0)
    return SLIMTUNE_KERNEL_OK;
  const Stash stash = stashOf(rows, channels, group, bits);
  const int64_t perRow = stash.perRow;
  int64_t slices = (kTargetBlocks + perRow - 1) / perRow;
  slices = std::min({slices, kMaxSlices, rows,
                     kScratchBytes / static_cast<int64_t>(sizeof(float2) * perRow)});
  slices = std::max<int64_t>(slices, 1);
  const int64_t rowsPerSlice = (rows + slices - 1) / slices;
  auto *partials = static_cast<float2 *>(ctx.scratch);
  const dim3 grid(static_cast<unsigned>(std::min(perRow, kMaxBlocks)),
                  static_cast<unsigned>(slices));
  channelRangeKernel<<<grid, kThreads, 0, ctx.stream>>>(partials, range, x, rows, channels, group,
                                                        perRow, rowsPerSlice, step, decay);
  if (int32_t status = launchStatus(ctx, "quantize_ema range"))
    return status;
  if (slices > 1) {
    foldSlicesKernel<<<blocksFor(perRow), kThreads, 0, ctx.stream>>>(range, partials, perRow,
                                                                     slices, step, decay);
    if (int32_t status = launchStatus(ctx, "quantize_ema fold"))
      return status;
  }
  if (int32_t status = clearSharedCodes(ctx, out, stash, "quantize_ema clear"))
    return status;
  quantizeRangeKernel<<<blocksFor(stash.groups * 32), kThreads, 0, ctx.stream>>>(
      out, x, range, channels, group, stash, Coding{bits, stochastic, seed, step});
  return launchStatus(ctx, "quantize_ema");
}

} // namespace slimtune::cuda
