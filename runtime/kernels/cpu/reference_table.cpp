// A kernel table of the plain reference implementations (fp32), for checking a whole compiled
// step: running it with this table instead of the fast one must give the same results up to
// rounding. Selected by the runtime when SLIMTUNE_KERNELS=reference.
#include "kernels/cpu/approx_activation_reference.h"
#include "kernels/cpu/attention_reference.h"
#include "kernels/cpu/cross_entropy_reference.h"
#include "kernels/cpu/elementwise_reference.h"
#include "kernels/cpu/embedding_reference.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/linear_reference.h"
#include "kernels/cpu/lora_reference.h"
#include "kernels/cpu/merge_lora_reference.h"
#include "kernels/cpu/norms_reference.h"
#include "kernels/cpu/optimizer_reference.h"
#include "kernels/cpu/quantize_reference.h"
#include "kernels/cpu/rope_reference.h"

namespace slimtune::cpu {
namespace {
namespace ref = reference;

// The references need no workspace: adapters with the ABI's parameter lists.
void attentionWithWork(float *o, float *lse, const float *q, const float *k, const float *v,
                       float *, int64_t b, int64_t t, int64_t heads, int64_t kvHeads,
                       int64_t headDim, float scale) {
  ref::attention<float>(o, lse, q, k, v, b, t, heads, kvHeads, headDim, scale);
}

void attentionGradWithWork(float *dq, float *dk, float *dv, const float *q, const float *k,
                           const float *v, const float *o, const float *lse, const float *dout,
                           float *, int64_t b, int64_t t, int64_t heads, int64_t kvHeads,
                           int64_t headDim, float scale) {
  ref::attentionGrad<float>(dq, dk, dv, q, k, v, o, lse, dout, b, t, heads, kvHeads, headDim, scale);
}

void *const kTable[SLIMTUNE_KERNEL_COUNT] = {
    reinterpret_cast<void *>(&ref::embedding<float>),
    reinterpret_cast<void *>(&ref::positionEmbedding<float>),
    reinterpret_cast<void *>(&ref::rmsNorm<float>),
    reinterpret_cast<void *>(&ref::rmsNormGrad<float>),
    reinterpret_cast<void *>(&ref::layerNorm<float>),
    reinterpret_cast<void *>(&ref::layerNormGrad<float>),
    reinterpret_cast<void *>(&ref::linear<float>),
    reinterpret_cast<void *>(&ref::weightGrad<float>),
    reinterpret_cast<void *>(&ref::sumRows<float>),
    reinterpret_cast<void *>(&ref::lora<float>),
    reinterpret_cast<void *>(&ref::loraGrad<float>),
    reinterpret_cast<void *>(&ref::rope<float>),
    reinterpret_cast<void *>(&attentionWithWork),
    reinterpret_cast<void *>(&attentionGradWithWork),
    reinterpret_cast<void *>(&ref::silu<float>),
    reinterpret_cast<void *>(&ref::siluGrad<float>),
    reinterpret_cast<void *>(&ref::gelu<float>),
    reinterpret_cast<void *>(&ref::geluGrad<float>),
    reinterpret_cast<void *>(&ref::activationFlags),
    reinterpret_cast<void *>(&ref::activationGradFlags),
    reinterpret_cast<void *>(&ref::quantize),
    reinterpret_cast<void *>(&ref::dequantize),
    reinterpret_cast<void *>(&ref::add<float>),
    reinterpret_cast<void *>(&ref::mul<float>),
    reinterpret_cast<void *>(&ref::fillZero),
    reinterpret_cast<void *>(&ref::copyColumns<float>),
    reinterpret_cast<void *>(&ref::crossEntropy<float>),
    reinterpret_cast<void *>(&ref::sumSquares<float>),
    reinterpret_cast<void *>(&ref::sqrtF64<float>),
    reinterpret_cast<void *>(&ref::adamw<float>),
    reinterpret_cast<void *>(&ref::mergeLora<float>),
    reinterpret_cast<void *>(&ref::normalize<float>),
    reinterpret_cast<void *>(&ref::normalizeGrad<float>),
    reinterpret_cast<void *>(&ref::scaleShift<float>),
    reinterpret_cast<void *>(&ref::quantizeEma),
};
// The enum order of kernel_abi.h; the fast table's static checks guard the types.
static_assert(SLIMTUNE_KERNEL_COUNT == 35, "a kernel was added: extend the reference table");
static_assert(SLIMTUNE_KERNEL_QUANTIZE_EMA == 34 && SLIMTUNE_KERNEL_SCALE_SHIFT == 33 && SLIMTUNE_KERNEL_NORMALIZE == 31 &&
                  SLIMTUNE_KERNEL_MERGE_LORA == 30 && SLIMTUNE_KERNEL_ADAMW == 29 &&
                  SLIMTUNE_KERNEL_FILL_ZERO == 24 && SLIMTUNE_KERNEL_ACTIVATION_FLAGS == 18 &&
                  SLIMTUNE_KERNEL_QUANTIZE == 20 &&
                  SLIMTUNE_KERNEL_ATTENTION == 12,
              "kernel order changed: reorder the reference table");
} // namespace

void *const *referenceKernelTable() { return kTable; }

} // namespace slimtune::cpu
