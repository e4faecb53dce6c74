// The CPU's kernel tables a step is given: one non-null entry per slimtune_kernel_id, each the
// ABI wrapper of the C++ kernel of that id (listed here independently of kernel_table.cpp),
// callable through the table with the C types of its signature string, context first; and the
// reference table beside it.
#include "kernels/backends.h"
#include "kernels/cpu/abi_wrapper.h"
#include "kernels/cpu/kernels.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

using namespace slimtune::cpu;
namespace kernels = slimtune::kernels;

namespace {
struct Expected {
  slimtune_kernel_id id;
  const char *name;
  void *entry;
};

// Every kernel of SLIMTUNE_KERNELS, by hand: a kernel added to the ABI without a line here
// fails CoversEveryId; two kernels swapped in the table fail EntriesAreAtTheirIds.
const std::vector<Expected> kExpected = {
    {SLIMTUNE_KERNEL_EMBEDDING, "embedding", abiEntry<embedding>()},
    {SLIMTUNE_KERNEL_POSITION_EMBEDDING, "position_embedding", abiEntry<positionEmbedding>()},
    {SLIMTUNE_KERNEL_RMS_NORM, "rms_norm", abiEntry<rmsNorm>()},
    {SLIMTUNE_KERNEL_RMS_NORM_GRAD, "rms_norm_grad", abiEntry<rmsNormGrad>()},
    {SLIMTUNE_KERNEL_LAYER_NORM, "layer_norm", abiEntry<layerNorm>()},
    {SLIMTUNE_KERNEL_LAYER_NORM_GRAD, "layer_norm_grad", abiEntry<layerNormGrad>()},
    {SLIMTUNE_KERNEL_LINEAR, "linear", abiEntry<linear>()},
    {SLIMTUNE_KERNEL_WEIGHT_GRAD, "weight_grad", abiEntry<weightGrad>()},
    {SLIMTUNE_KERNEL_SUM_ROWS, "sum_rows", abiEntry<sumRows>()},
    {SLIMTUNE_KERNEL_LORA, "lora", abiEntry<lora>()},
    {SLIMTUNE_KERNEL_LORA_GRAD, "lora_grad", abiEntry<loraGrad>()},
    {SLIMTUNE_KERNEL_ROPE, "rope", abiEntry<rope>()},
    {SLIMTUNE_KERNEL_ATTENTION, "attention", abiEntry<attention>()},
    {SLIMTUNE_KERNEL_ATTENTION_GRAD, "attention_grad", abiEntry<attentionGrad>()},
    {SLIMTUNE_KERNEL_SILU, "silu", abiEntry<silu>()},
    {SLIMTUNE_KERNEL_SILU_GRAD, "silu_grad", abiEntry<siluGrad>()},
    {SLIMTUNE_KERNEL_GELU, "gelu", abiEntry<gelu>()},
    {SLIMTUNE_KERNEL_GELU_GRAD, "gelu_grad", abiEntry<geluGrad>()},
    {SLIMTUNE_KERNEL_ACTIVATION_FLAGS, "activation_flags", abiEntry<activationFlags>()},
    {SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS, "activation_grad_flags",
     abiEntry<activationGradFlags>()},
    {SLIMTUNE_KERNEL_QUANTIZE, "quantize", abiEntry<quantize>()},
    {SLIMTUNE_KERNEL_DEQUANTIZE, "dequantize", abiEntry<dequantize>()},
    {SLIMTUNE_KERNEL_ADD, "add", abiEntry<add>()},
    {SLIMTUNE_KERNEL_MUL, "mul", abiEntry<mul>()},
    {SLIMTUNE_KERNEL_FILL_ZERO, "fill_zero", abiEntry<fillZero>()},
    {SLIMTUNE_KERNEL_COPY_COLUMNS, "copy_columns", abiEntry<copyColumns>()},
    {SLIMTUNE_KERNEL_CROSS_ENTROPY, "cross_entropy", abiEntry<crossEntropy>()},
    {SLIMTUNE_KERNEL_SUM_SQUARES, "sum_squares", abiEntry<sumSquares>()},
    {SLIMTUNE_KERNEL_SQRT_F64, "sqrt_f64", abiEntry<sqrtF64>()},
    {SLIMTUNE_KERNEL_ADAMW, "adamw", abiEntry<adamw>()},
    {SLIMTUNE_KERNEL_MERGE_LORA, "merge_lora", abiEntry<mergeLora>()},
    {SLIMTUNE_KERNEL_NORMALIZE, "normalize", abiEntry<normalize>()},
    {SLIMTUNE_KERNEL_NORMALIZE_GRAD, "normalize_grad", abiEntry<normalizeGrad>()},
    {SLIMTUNE_KERNEL_SCALE_SHIFT, "scale_shift", abiEntry<scaleShift>()},
    {SLIMTUNE_KERNEL_QUANTIZE_EMA, "quantize_ema", abiEntry<quantizeEma>()},
    {SLIMTUNE_KERNEL_LINEAR_BF16, "linear_bf16", abiEntry<linearBf16>()},
    {SLIMTUNE_KERNEL_EMBEDDING_BF16, "embedding_bf16", abiEntry<embeddingBf16>()},
    {SLIMTUNE_KERNEL_SCALED_ADD, "scaled_add", abiEntry<scaledAdd>()},
    {SLIMTUNE_KERNEL_SAMPLED_LINEAR_GRAD, "sampled_linear_grad", abiEntry<sampledLinearGrad>()},
    {SLIMTUNE_KERNEL_LINEAR_CROSS_ENTROPY, "linear_cross_entropy",
     abiEntry<linearCrossEntropy>()},
    {SLIMTUNE_KERNEL_LINEAR_BLOCKS, "linear_blocks", abiEntry<linearBlocks>()},
    {SLIMTUNE_KERNEL_EMBEDDING_BLOCKS, "embedding_blocks", abiEntry<embeddingBlocks>()},
};
} // namespace

TEST(KernelTable, EveryEntryIsNonNull) {
  for (void *const *table : {kernelTable(), referenceKernelTable()}) {
    ASSERT_NE(table, nullptr);
    for (int id = 0; id < SLIMTUNE_KERNEL_COUNT; ++id)
      EXPECT_NE(table[id], nullptr) << "kernel id " << id;
  }
}

TEST(KernelTable, CoversEveryId) {
  std::set<int> ids;
  for (const Expected &e : kExpected)
    EXPECT_TRUE(ids.insert(e.id).second) << e.name << " listed twice";
  EXPECT_EQ(ids.size(), static_cast<size_t>(SLIMTUNE_KERNEL_COUNT));
  // The ABI's own list, through its X-macro, names the same kernels at the same ids.
  int count = 0;
#define SLIMTUNE_COUNT_KERNEL(ID, name, signature)                                                \
  EXPECT_EQ(SLIMTUNE_KERNEL_##ID, count++) << #name;                                             \
  EXPECT_TRUE(ids.count(SLIMTUNE_KERNEL_##ID)) << #name;
  SLIMTUNE_KERNELS(SLIMTUNE_COUNT_KERNEL)
#undef SLIMTUNE_COUNT_KERNEL
  EXPECT_EQ(count, SLIMTUNE_KERNEL_COUNT);
}

TEST(KernelTable, EntriesAreAtTheirIds) {
  void *const *table = kernelTable();
  for (const Expected &e : kExpected)
    EXPECT_EQ(table[e.id], e.entry) << e.name << " is not at its id " << e.id;
}

// The reference table holds other functions than the fast one, each once.
TEST(KernelTable, ReferenceEntriesAreTheirOwn) {
  std::set<void *> fast(kernelTable(), kernelTable() + SLIMTUNE_KERNEL_COUNT);
  std::set<void *> reference;
  for (int id = 0; id < SLIMTUNE_KERNEL_COUNT; ++id) {
    EXPECT_EQ(fast.count(referenceKernelTable()[id]), 0u) << "kernel id " << id;
    EXPECT_TRUE(reference.insert(referenceKernelTable()[id]).second) << "kernel id " << id;
  }
  EXPECT_EQ(fast.size(), static_cast<size_t>(SLIMTUNE_KERNEL_COUNT));
}

// A step calls kernels through either table with the C types of the signature strings, the
// context (NULL on the CPU) first, and gets SLIMTUNE_KERNEL_OK back.
TEST(KernelTable, KernelsAreCallableThroughTheTables) {
  for (void *const *table : {kernelTable(), referenceKernelTable()}) {
    const kernels::Backend cpu{"cpu", table, nullptr};
    float a[] = {1, 2, 3}, b[] = {10, 20, 30}, y[3];
    EXPECT_EQ(kernels::call<SLIMTUNE_KERNEL_ADD>(cpu, y, a, b, 3), SLIMTUNE_KERNEL_OK);
    EXPECT_EQ(y[0], 11);
    EXPECT_EQ(y[2], 33);
    EXPECT_EQ(kernels::call<SLIMTUNE_KERNEL_FILL_ZERO>(cpu, y, sizeof y), SLIMTUNE_KERNEL_OK);
    EXPECT_EQ(y[1], 0);
    double acc = 9;
    float norm = 0;
    EXPECT_EQ(kernels::call<SLIMTUNE_KERNEL_SQRT_F64>(cpu, &norm, &acc), SLIMTUNE_KERNEL_OK);
    EXPECT_EQ(norm, 3.0f);
  }
}

// The backends of this build include the CPU's, with its fast table and no context.
TEST(KernelTable, CpuIsABackend) {
  ASSERT_FALSE(kernels::backends().empty());
  EXPECT_STREQ(kernels::backends()[0].name, "cpu");
  EXPECT_EQ(kernels::backends()[0].table, kernelTable());
  EXPECT_EQ(kernels::backends()[0].context, nullptr);
}
