// The kernel table a step is given: one non-null entry per slimtune_kernel_id, each the C++
// kernel of that id (listed here independently of kernel_table.cpp), callable through it.
#include "kernels/cpu/kernels.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

using namespace slimtune::cpu;

namespace {
struct Expected {
  slimtune_kernel_id id;
  const char *name;
  void *function;
};

template <typename F>
void *address(F *function) {
  return reinterpret_cast<void *>(function);
}

// Every kernel of SLIMTUNE_KERNELS, by hand: a kernel added to the ABI without a line here
// fails CoversEveryId; two kernels swapped in the table fail EntriesAreAtTheirIds.
const std::vector<Expected> kExpected = {
    {SLIMTUNE_KERNEL_EMBEDDING, "embedding", address(embedding)},
    {SLIMTUNE_KERNEL_POSITION_EMBEDDING, "position_embedding", address(positionEmbedding)},
    {SLIMTUNE_KERNEL_RMS_NORM, "rms_norm", address(rmsNorm)},
    {SLIMTUNE_KERNEL_RMS_NORM_GRAD, "rms_norm_grad", address(rmsNormGrad)},
    {SLIMTUNE_KERNEL_LAYER_NORM, "layer_norm", address(layerNorm)},
    {SLIMTUNE_KERNEL_LAYER_NORM_GRAD, "layer_norm_grad", address(layerNormGrad)},
    {SLIMTUNE_KERNEL_LINEAR, "linear", address(linear)},
    {SLIMTUNE_KERNEL_WEIGHT_GRAD, "weight_grad", address(weightGrad)},
    {SLIMTUNE_KERNEL_SUM_ROWS, "sum_rows", address(sumRows)},
    {SLIMTUNE_KERNEL_LORA, "lora", address(lora)},
    {SLIMTUNE_KERNEL_LORA_GRAD, "lora_grad", address(loraGrad)},
    {SLIMTUNE_KERNEL_ROPE, "rope", address(rope)},
    {SLIMTUNE_KERNEL_ATTENTION, "attention", address(attention)},
    {SLIMTUNE_KERNEL_ATTENTION_GRAD, "attention_grad", address(attentionGrad)},
    {SLIMTUNE_KERNEL_SILU, "silu", address(silu)},
    {SLIMTUNE_KERNEL_SILU_GRAD, "silu_grad", address(siluGrad)},
    {SLIMTUNE_KERNEL_GELU, "gelu", address(gelu)},
    {SLIMTUNE_KERNEL_GELU_GRAD, "gelu_grad", address(geluGrad)},
    {SLIMTUNE_KERNEL_ACTIVATION_FLAGS, "activation_flags", address(activationFlags)},
    {SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS, "activation_grad_flags", address(activationGradFlags)},
    {SLIMTUNE_KERNEL_QUANTIZE, "quantize", address(quantize)},
    {SLIMTUNE_KERNEL_DEQUANTIZE, "dequantize", address(dequantize)},
    {SLIMTUNE_KERNEL_ADD, "add", address(add)},
    {SLIMTUNE_KERNEL_MUL, "mul", address(mul)},
    {SLIMTUNE_KERNEL_FILL_ZERO, "fill_zero", address(fillZero)},
    {SLIMTUNE_KERNEL_COPY_COLUMNS, "copy_columns", address(copyColumns)},
    {SLIMTUNE_KERNEL_CROSS_ENTROPY, "cross_entropy", address(crossEntropy)},
    {SLIMTUNE_KERNEL_SUM_SQUARES, "sum_squares", address(sumSquares)},
    {SLIMTUNE_KERNEL_SQRT_F64, "sqrt_f64", address(sqrtF64)},
    {SLIMTUNE_KERNEL_ADAMW, "adamw", address(adamw)},
    {SLIMTUNE_KERNEL_MERGE_LORA, "merge_lora", address(mergeLora)},
    {SLIMTUNE_KERNEL_NORMALIZE, "normalize", address(normalize)},
    {SLIMTUNE_KERNEL_NORMALIZE_GRAD, "normalize_grad", address(normalizeGrad)},
    {SLIMTUNE_KERNEL_SCALE_SHIFT, "scale_shift", address(scaleShift)},
    {SLIMTUNE_KERNEL_QUANTIZE_EMA, "quantize_ema", address(quantizeEma)},
};
} // namespace

TEST(KernelTable, EveryEntryIsNonNull) {
  void *const *table = kernelTable();
  ASSERT_NE(table, nullptr);
  for (int id = 0; id < SLIMTUNE_KERNEL_COUNT; ++id)
    EXPECT_NE(table[id], nullptr) << "kernel id " << id;
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
    EXPECT_EQ(table[e.id], e.function) << e.name << " is not at its id " << e.id;
}

// A step calls kernels through the table with the C types of the signature strings.
TEST(KernelTable, KernelsAreCallableThroughTheTable) {
  void *const *table = kernelTable();
  using AddFunction = void (*)(float *, const float *, const float *, int64_t);
  float a[] = {1, 2, 3}, b[] = {10, 20, 30}, y[3];
  reinterpret_cast<AddFunction>(table[SLIMTUNE_KERNEL_ADD])(y, a, b, 3);
  EXPECT_EQ(y[0], 11);
  EXPECT_EQ(y[2], 33);
  using FillZeroFunction = void (*)(void *, int64_t);
  reinterpret_cast<FillZeroFunction>(table[SLIMTUNE_KERNEL_FILL_ZERO])(y, sizeof y);
  EXPECT_EQ(y[1], 0);
}
