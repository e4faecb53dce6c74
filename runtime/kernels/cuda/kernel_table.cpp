// The CUDA kernel table (kernel_abi.h), indexed by slimtune_kernel_id. One line maps each id
// to its kernel; at compile time every kernel's parameters must spell its signature string,
// and a kernel added to SLIMTUNE_KERNELS without a line here leaves CudaKernel<ID> undefined.
// The CUDA kernels have the ABI's C type themselves (context first, a status returned): no
// wrapper.
#include "kernels/cuda/kernels.h"
#include "kernels/kernel_signature.h"

namespace slimtune::cuda {

int32_t linearBlocks(void *, float *, const float *, const uint8_t *, const float *, float *,
                     int64_t, int64_t, int64_t, int32_t, int32_t) {
  return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
}

int32_t embeddingBlocks(void *, float *, const uint8_t *, const int32_t *, int64_t, int64_t,
                        int64_t, int32_t) {
  return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
}

namespace {

template <slimtune_kernel_id Id> struct CudaKernel;
#define SLIMTUNE_CUDA_KERNEL(ID, kernel)                                                           \
  template <> struct CudaKernel<SLIMTUNE_KERNEL_##ID> {                                            \
    static constexpr auto function = &kernel;                                                      \
  };
SLIMTUNE_CUDA_KERNEL(EMBEDDING, embedding)
SLIMTUNE_CUDA_KERNEL(POSITION_EMBEDDING, positionEmbedding)
SLIMTUNE_CUDA_KERNEL(RMS_NORM, rmsNorm)
SLIMTUNE_CUDA_KERNEL(RMS_NORM_GRAD, rmsNormGrad)
SLIMTUNE_CUDA_KERNEL(LAYER_NORM, layerNorm)
SLIMTUNE_CUDA_KERNEL(LAYER_NORM_GRAD, layerNormGrad)
SLIMTUNE_CUDA_KERNEL(LINEAR, linear)
SLIMTUNE_CUDA_KERNEL(WEIGHT_GRAD, weightGrad)
SLIMTUNE_CUDA_KERNEL(SUM_ROWS, sumRows)
SLIMTUNE_CUDA_KERNEL(LORA, lora)
SLIMTUNE_CUDA_KERNEL(LORA_GRAD, loraGrad)
SLIMTUNE_CUDA_KERNEL(ROPE, rope)
SLIMTUNE_CUDA_KERNEL(ATTENTION, attention)
SLIMTUNE_CUDA_KERNEL(ATTENTION_GRAD, attentionGrad)
SLIMTUNE_CUDA_KERNEL(SILU, silu)
SLIMTUNE_CUDA_KERNEL(SILU_GRAD, siluGrad)
SLIMTUNE_CUDA_KERNEL(GELU, gelu)
SLIMTUNE_CUDA_KERNEL(GELU_GRAD, geluGrad)
SLIMTUNE_CUDA_KERNEL(ACTIVATION_FLAGS, activationFlags)
SLIMTUNE_CUDA_KERNEL(ACTIVATION_GRAD_FLAGS, activationGradFlags)
SLIMTUNE_CUDA_KERNEL(QUANTIZE, quantize)
SLIMTUNE_CUDA_KERNEL(DEQUANTIZE, dequantize)
SLIMTUNE_CUDA_KERNEL(ADD, add)
SLIMTUNE_CUDA_KERNEL(MUL, mul)
SLIMTUNE_CUDA_KERNEL(FILL_ZERO, fillZero)
SLIMTUNE_CUDA_KERNEL(COPY_COLUMNS, copyColumns)
SLIMTUNE_CUDA_KERNEL(CROSS_ENTROPY, crossEntropy)
SLIMTUNE_CUDA_KERNEL(SUM_SQUARES, sumSquares)
SLIMTUNE_CUDA_KERNEL(SQRT_F64, sqrtF64)
SLIMTUNE_CUDA_KERNEL(ADAMW, adamw)
SLIMTUNE_CUDA_KERNEL(MERGE_LORA, mergeLora)
SLIMTUNE_CUDA_KERNEL(NORMALIZE, normalize)
SLIMTUNE_CUDA_KERNEL(NORMALIZE_GRAD, normalizeGrad)
SLIMTUNE_CUDA_KERNEL(SCALE_SHIFT, scaleShift)
SLIMTUNE_CUDA_KERNEL(QUANTIZE_EMA, quantizeEma)
SLIMTUNE_CUDA_KERNEL(LINEAR_BF16, linearBf16)
SLIMTUNE_CUDA_KERNEL(EMBEDDING_BF16, embeddingBf16)
SLIMTUNE_CUDA_KERNEL(SCALED_ADD, scaledAdd)
SLIMTUNE_CUDA_KERNEL(SAMPLED_LINEAR_GRAD, sampledLinearGrad)
SLIMTUNE_CUDA_KERNEL(LINEAR_CROSS_ENTROPY, linearCrossEntropy)
SLIMTUNE_CUDA_KERNEL(LINEAR_BLOCKS, linearBlocks)
SLIMTUNE_CUDA_KERNEL(EMBEDDING_BLOCKS, embeddingBlocks)
#undef SLIMTUNE_CUDA_KERNEL

#define SLIMTUNE_CHECK_SIGNATURE(ID, name, signature)                                              \
  static_assert(kernels::spellsAbiSignature(CudaKernel<SLIMTUNE_KERNEL_##ID>::function, signature), \
                "the C++ parameters of CUDA kernel " #name " do not match its ABI signature " signature);
SLIMTUNE_KERNELS(SLIMTUNE_CHECK_SIGNATURE)
#undef SLIMTUNE_CHECK_SIGNATURE

} // namespace

// In SLIMTUNE_KERNELS order, which is the enum's: entry i is the kernel with id i.
void *const *kernelTable() {
  static void *const table[] = {
#define SLIMTUNE_ENTRY(ID, name, signature)                                                        \
  reinterpret_cast<void *>(CudaKernel<SLIMTUNE_KERNEL_##ID>::function),
      SLIMTUNE_KERNELS(SLIMTUNE_ENTRY)
#undef SLIMTUNE_ENTRY
  };
  static_assert(sizeof(table) / sizeof(table[0]) == SLIMTUNE_KERNEL_COUNT,
                "one table entry per kernel id");
  return table;
}

} // namespace slimtune::cuda
