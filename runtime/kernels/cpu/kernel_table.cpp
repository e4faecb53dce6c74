// The table of kernel function pointers a compiled step is given (kernel_abi.h), indexed by
// slimtune_kernel_id and built from SLIMTUNE_KERNELS, with a compile-time check that every
// kernel's C++ parameter types spell its ABI signature string.
#include "kernels/cpu/kernels.h"

#include <cstddef>
#include <type_traits>

namespace slimtune::cpu {
namespace {

template <typename T>
constexpr bool kAlwaysFalse = false;

// The signature letter of one parameter type: p pointer, l int64_t, i int32_t, f float. Only
// the pointee types the kernels use count as 'p'; anything else fails to compile.
template <typename T>
constexpr char abiLetter() {
  using Pointee = std::remove_cv_t<std::remove_pointer_t<T>>;
  if constexpr (std::is_same_v<T, int64_t>)
    return 'l';
  else if constexpr (std::is_same_v<T, int32_t>)
    return 'i';
  else if constexpr (std::is_same_v<T, float>)
    return 'f';
  else if constexpr (std::is_pointer_v<T> &&
                     (std::is_same_v<Pointee, float> || std::is_same_v<Pointee, int32_t> ||
                      std::is_same_v<Pointee, double> || std::is_same_v<Pointee, void> ||
                      std::is_same_v<Pointee, uint8_t>))
    return 'p';
  else
    static_assert(kAlwaysFalse<T>, "kernel parameter type has no ABI signature letter");
}

// Whether void(Args...) is what `signature` spells, letter for letter.
template <typename... Args>
constexpr bool matchesSignature(void (*)(Args...), const char *signature) {
  constexpr char letters[] = {abiLetter<Args>()..., '\0'};
  for (size_t i = 0; i <= sizeof...(Args); ++i)
    if (letters[i] != signature[i]) // stops at the shorter string's terminator
      return false;
  return true;
}

// The C++ kernel behind each ABI id. A kernel added to SLIMTUNE_KERNELS without a line here
// leaves KernelOf<ID> undefined, and the table below does not compile.
template <slimtune_kernel_id Id>
struct KernelOf;
#define SLIMTUNE_KERNEL_OF(ID, function)                                                          \
  template <>                                                                                      \
  struct KernelOf<SLIMTUNE_KERNEL_##ID> {                                                          \
    static constexpr auto value = &function;                                                       \
  };
SLIMTUNE_KERNEL_OF(EMBEDDING, embedding)
SLIMTUNE_KERNEL_OF(POSITION_EMBEDDING, positionEmbedding)
SLIMTUNE_KERNEL_OF(RMS_NORM, rmsNorm)
SLIMTUNE_KERNEL_OF(RMS_NORM_GRAD, rmsNormGrad)
SLIMTUNE_KERNEL_OF(LAYER_NORM, layerNorm)
SLIMTUNE_KERNEL_OF(LAYER_NORM_GRAD, layerNormGrad)
SLIMTUNE_KERNEL_OF(NORMALIZE, normalize)
SLIMTUNE_KERNEL_OF(NORMALIZE_GRAD, normalizeGrad)
SLIMTUNE_KERNEL_OF(SCALE_SHIFT, scaleShift)
SLIMTUNE_KERNEL_OF(QUANTIZE_EMA, quantizeEma)
SLIMTUNE_KERNEL_OF(LINEAR, linear)
SLIMTUNE_KERNEL_OF(WEIGHT_GRAD, weightGrad)
SLIMTUNE_KERNEL_OF(SUM_ROWS, sumRows)
SLIMTUNE_KERNEL_OF(LORA, lora)
SLIMTUNE_KERNEL_OF(LORA_GRAD, loraGrad)
SLIMTUNE_KERNEL_OF(ROPE, rope)
SLIMTUNE_KERNEL_OF(ATTENTION, attention)
SLIMTUNE_KERNEL_OF(ATTENTION_GRAD, attentionGrad)
SLIMTUNE_KERNEL_OF(SILU, silu)
SLIMTUNE_KERNEL_OF(SILU_GRAD, siluGrad)
SLIMTUNE_KERNEL_OF(GELU, gelu)
SLIMTUNE_KERNEL_OF(GELU_GRAD, geluGrad)
SLIMTUNE_KERNEL_OF(ACTIVATION_FLAGS, activationFlags)
SLIMTUNE_KERNEL_OF(ACTIVATION_GRAD_FLAGS, activationGradFlags)
SLIMTUNE_KERNEL_OF(QUANTIZE, quantize)
SLIMTUNE_KERNEL_OF(DEQUANTIZE, dequantize)
SLIMTUNE_KERNEL_OF(ADD, add)
SLIMTUNE_KERNEL_OF(MUL, mul)
SLIMTUNE_KERNEL_OF(FILL_ZERO, fillZero)
SLIMTUNE_KERNEL_OF(COPY_COLUMNS, copyColumns)
SLIMTUNE_KERNEL_OF(CROSS_ENTROPY, crossEntropy)
SLIMTUNE_KERNEL_OF(SUM_SQUARES, sumSquares)
SLIMTUNE_KERNEL_OF(SQRT_F64, sqrtF64)
SLIMTUNE_KERNEL_OF(ADAMW, adamw)
SLIMTUNE_KERNEL_OF(MERGE_LORA, mergeLora)
#undef SLIMTUNE_KERNEL_OF

#define SLIMTUNE_CHECK_SIGNATURE(ID, name, signature)                                             \
  static_assert(matchesSignature(KernelOf<SLIMTUNE_KERNEL_##ID>::value, signature),               \
                "the C++ parameters of kernel " #name " do not match its ABI signature " signature);
SLIMTUNE_KERNELS(SLIMTUNE_CHECK_SIGNATURE)
#undef SLIMTUNE_CHECK_SIGNATURE

} // namespace

void *const *kernelTable() {
  // In SLIMTUNE_KERNELS order, which is the enum's: entry i is the kernel with id i.
  static void *const table[] = {
#define SLIMTUNE_TABLE_ENTRY(ID, name, signature)                                                 \
  reinterpret_cast<void *>(KernelOf<SLIMTUNE_KERNEL_##ID>::value),
      SLIMTUNE_KERNELS(SLIMTUNE_TABLE_ENTRY)
#undef SLIMTUNE_TABLE_ENTRY
  };
  static_assert(sizeof(table) / sizeof(table[0]) == SLIMTUNE_KERNEL_COUNT,
                "one table entry per kernel id");
  return table;
}

} // namespace slimtune::cpu
