// The two kernel tables of the CPU (kernel_abi.h), indexed by slimtune_kernel_id: the fast
// kernels a step runs, and their plain references (fp32), which must give the same results up
// to rounding (SLIMTUNE_KERNELS=reference checks whole steps with them). One list maps each id
// to both C++ kernels; each table is SLIMTUNE_KERNELS expanded over it, every entry the ABI
// wrapper of its kernel (abi_wrapper.h). At compile time: every entry's parameters spell its
// kernel's signature string, and a kernel added to SLIMTUNE_KERNELS without a line below
// leaves Kernels<ID> undefined, so neither table compiles.
#include "kernels/cpu/abi_wrapper.h"
#include "kernels/cpu/approx_activation_reference.h"
#include "kernels/cpu/attention_reference.h"
#include "kernels/cpu/cross_entropy_reference.h"
#include "kernels/cpu/elementwise_reference.h"
#include "kernels/cpu/embedding_reference.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/linear_cross_entropy_reference.h"
#include "kernels/cpu/linear_reference.h"
#include "kernels/cpu/lora_reference.h"
#include "kernels/cpu/merge_lora_reference.h"
#include "kernels/cpu/norms_reference.h"
#include "kernels/cpu/optimizer_reference.h"
#include "kernels/cpu/quantize_reference.h"
#include "kernels/cpu/rope_reference.h"
#include "kernels/cpu/sampled_linear_reference.h"
#include "kernels/kernel_signature.h"

namespace slimtune::cpu {
namespace {
namespace ref = reference;

// The attention references need no workspace: the ABI's parameter lists around them.
void attentionReference(float *o, float *lse, const float *q, const float *k, const float *v,
                        float *, int64_t b, int64_t t, int64_t heads, int64_t kvHeads,
                        int64_t headDim, float scale) {
  ref::attention<float>(o, lse, q, k, v, b, t, heads, kvHeads, headDim, scale);
}

void attentionGradReference(float *dq, float *dk, float *dv, const float *q, const float *k,
                            const float *v, const float *o, const float *lse, const float *dout,
                            float *, int64_t b, int64_t t, int64_t heads, int64_t kvHeads,
                            int64_t headDim, float scale) {
  ref::attentionGrad<float>(dq, dk, dv, q, k, v, o, lse, dout, b, t, heads, kvHeads, headDim,
                            scale);
}

// The C++ kernels behind each ABI id: the fast one and its reference.
template <slimtune_kernel_id Id> struct Kernels;
#define SLIMTUNE_CPU_KERNEL(ID, fastKernel, referenceKernel)                                       \
  template <> struct Kernels<SLIMTUNE_KERNEL_##ID> {                                               \
    static constexpr auto fast = &fastKernel;                                                      \
    static constexpr auto reference = &referenceKernel;                                            \
  };
SLIMTUNE_CPU_KERNEL(EMBEDDING, embedding, ref::embedding<float>)
SLIMTUNE_CPU_KERNEL(POSITION_EMBEDDING, positionEmbedding, ref::positionEmbedding<float>)
SLIMTUNE_CPU_KERNEL(RMS_NORM, rmsNorm, ref::rmsNorm<float>)
SLIMTUNE_CPU_KERNEL(RMS_NORM_GRAD, rmsNormGrad, ref::rmsNormGrad<float>)
SLIMTUNE_CPU_KERNEL(LAYER_NORM, layerNorm, ref::layerNorm<float>)
SLIMTUNE_CPU_KERNEL(LAYER_NORM_GRAD, layerNormGrad, ref::layerNormGrad<float>)
SLIMTUNE_CPU_KERNEL(LINEAR, linear, ref::linear<float>)
SLIMTUNE_CPU_KERNEL(WEIGHT_GRAD, weightGrad, ref::weightGrad<float>)
SLIMTUNE_CPU_KERNEL(SUM_ROWS, sumRows, ref::sumRows<float>)
SLIMTUNE_CPU_KERNEL(LORA, lora, ref::lora<float>)
SLIMTUNE_CPU_KERNEL(LORA_GRAD, loraGrad, ref::loraGrad<float>)
SLIMTUNE_CPU_KERNEL(ROPE, rope, ref::rope<float>)
SLIMTUNE_CPU_KERNEL(ATTENTION, attention, attentionReference)
SLIMTUNE_CPU_KERNEL(ATTENTION_GRAD, attentionGrad, attentionGradReference)
SLIMTUNE_CPU_KERNEL(SILU, silu, ref::silu<float>)
SLIMTUNE_CPU_KERNEL(SILU_GRAD, siluGrad, ref::siluGrad<float>)
SLIMTUNE_CPU_KERNEL(GELU, gelu, ref::gelu<float>)
SLIMTUNE_CPU_KERNEL(GELU_GRAD, geluGrad, ref::geluGrad<float>)
SLIMTUNE_CPU_KERNEL(ACTIVATION_FLAGS, activationFlags, ref::activationFlags)
SLIMTUNE_CPU_KERNEL(ACTIVATION_GRAD_FLAGS, activationGradFlags, ref::activationGradFlags)
SLIMTUNE_CPU_KERNEL(QUANTIZE, quantize, ref::quantize)
SLIMTUNE_CPU_KERNEL(DEQUANTIZE, dequantize, ref::dequantize)
SLIMTUNE_CPU_KERNEL(ADD, add, ref::add<float>)
SLIMTUNE_CPU_KERNEL(MUL, mul, ref::mul<float>)
SLIMTUNE_CPU_KERNEL(FILL_ZERO, fillZero, ref::fillZero)
SLIMTUNE_CPU_KERNEL(COPY_COLUMNS, copyColumns, ref::copyColumns<float>)
SLIMTUNE_CPU_KERNEL(CROSS_ENTROPY, crossEntropy, ref::crossEntropy<float>)
SLIMTUNE_CPU_KERNEL(SUM_SQUARES, sumSquares, ref::sumSquares<float>)
SLIMTUNE_CPU_KERNEL(SQRT_F64, sqrtF64, ref::sqrtF64<float>)
SLIMTUNE_CPU_KERNEL(ADAMW, adamw, ref::adamw<float>)
SLIMTUNE_CPU_KERNEL(MERGE_LORA, mergeLora, ref::mergeLora<float>)
SLIMTUNE_CPU_KERNEL(NORMALIZE, normalize, ref::normalize<float>)
SLIMTUNE_CPU_KERNEL(NORMALIZE_GRAD, normalizeGrad, ref::normalizeGrad<float>)
SLIMTUNE_CPU_KERNEL(SCALE_SHIFT, scaleShift, ref::scaleShift<float>)
SLIMTUNE_CPU_KERNEL(QUANTIZE_EMA, quantizeEma, ref::quantizeEma)
SLIMTUNE_CPU_KERNEL(LINEAR_BF16, linearBf16, ref::linearBf16)
SLIMTUNE_CPU_KERNEL(EMBEDDING_BF16, embeddingBf16, ref::embeddingBf16)
SLIMTUNE_CPU_KERNEL(SCALED_ADD, scaledAdd, ref::scaledAdd<float>)
SLIMTUNE_CPU_KERNEL(SAMPLED_LINEAR_GRAD, sampledLinearGrad, ref::sampledLinearGrad<float>)
SLIMTUNE_CPU_KERNEL(LINEAR_CROSS_ENTROPY, linearCrossEntropy, ref::linearCrossEntropy<float>)
SLIMTUNE_CPU_KERNEL(LINEAR_BLOCKS, linearBlocks, ref::linearBlocks)
SLIMTUNE_CPU_KERNEL(EMBEDDING_BLOCKS, embeddingBlocks, ref::embeddingBlocks)
#undef SLIMTUNE_CPU_KERNEL

#define SLIMTUNE_CHECK_SIGNATURES(ID, name, signature)                                             \
  static_assert(kernels::spellsAbiSignature(                                                       \
                    &AbiWrapper<Kernels<SLIMTUNE_KERNEL_##ID>::fast>::call, signature),            \
                "the C++ parameters of kernel " #name                                              \
                " do not match its ABI signature " signature);                                     \
  static_assert(kernels::spellsAbiSignature(                                                       \
                    &AbiWrapper<Kernels<SLIMTUNE_KERNEL_##ID>::reference>::call, signature),       \
                "the C++ parameters of the reference of kernel " #name                             \
                " do not match its ABI signature " signature);
SLIMTUNE_KERNELS(SLIMTUNE_CHECK_SIGNATURES)
#undef SLIMTUNE_CHECK_SIGNATURES

} // namespace

// In SLIMTUNE_KERNELS order, which is the enum's: entry i is the kernel with id i.
void *const *kernelTable() {
  static void *const table[] = {
#define SLIMTUNE_FAST_ENTRY(ID, name, signature) abiEntry<Kernels<SLIMTUNE_KERNEL_##ID>::fast>(),
      SLIMTUNE_KERNELS(SLIMTUNE_FAST_ENTRY)
#undef SLIMTUNE_FAST_ENTRY
  };
  static_assert(sizeof(table) / sizeof(table[0]) == SLIMTUNE_KERNEL_COUNT,
                "one table entry per kernel id");
  return table;
}

void *const *referenceKernelTable() {
  static void *const table[] = {
#define SLIMTUNE_REFERENCE_ENTRY(ID, name, signature)                                              \
  abiEntry<Kernels<SLIMTUNE_KERNEL_##ID>::reference>(),
      SLIMTUNE_KERNELS(SLIMTUNE_REFERENCE_ENTRY)
#undef SLIMTUNE_REFERENCE_ENTRY
  };
  static_assert(sizeof(table) / sizeof(table[0]) == SLIMTUNE_KERNEL_COUNT,
                "one table entry per kernel id");
  return table;
}

} // namespace slimtune::cpu
