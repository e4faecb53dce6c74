// A kernel's C type and its signature string (kernel_abi.h: int32_t(void *context, <the
// parameters the string spells>), one letter each: p pointer, l int64_t, i int32_t, f float),
// both ways: the compile-time check every backend makes of its table, and the type a caller
// other than a step (tests, benchmarks) calls a table entry with.
#ifndef SLIMTUNE_KERNELS_KERNEL_SIGNATURE_H
#define SLIMTUNE_KERNELS_KERNEL_SIGNATURE_H

#include "slimtune/kernel_abi.h"

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace slimtune::kernels {

template <typename T> constexpr bool kAlwaysFalse = false;

// The signature letter of one parameter type. Only the pointee types the kernels use count as
// 'p'; anything else fails to compile.
template <typename T> constexpr char abiLetter() {
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
                      std::is_same_v<Pointee, uint8_t> ||
                      std::is_same_v<Pointee, uint16_t>)) // uint16_t: bf16 bit patterns
    return 'p';
  else
    static_assert(kAlwaysFalse<T>, "kernel parameter type has no ABI signature letter");
}

// Whether a kernel has the ABI's C type with the parameters `signature` spells, letter for
// letter.
template <typename... Args>
constexpr bool spellsAbiSignature(int32_t (*)(void *, Args...), const char *signature) {
  constexpr char letters[] = {abiLetter<Args>()..., '\0'};
  for (size_t i = 0; i <= sizeof...(Args); ++i)
    if (letters[i] != signature[i]) // stops at the shorter string's terminator
      return false;
  return true;
}

// The C type of a parameter a letter spells; pointers as const void *, which every pointer
// argument converts to.
template <char Letter> struct AbiType;
template <> struct AbiType<'p'> { using type = const void *; };
template <> struct AbiType<'l'> { using type = int64_t; };
template <> struct AbiType<'i'> { using type = int32_t; };
template <> struct AbiType<'f'> { using type = float; };

// Each kernel's name and signature string, by id.
template <slimtune_kernel_id Id> struct AbiKernel;
#define SLIMTUNE_ABI_KERNEL(ID, kernelName, signature)                                             \
  template <> struct AbiKernel<SLIMTUNE_KERNEL_##ID> {                                             \
    static constexpr char name[] = #kernelName;                                                    \
    static constexpr char letters[] = signature;                                                   \
  };
SLIMTUNE_KERNELS(SLIMTUNE_ABI_KERNEL)
#undef SLIMTUNE_ABI_KERNEL

template <slimtune_kernel_id Id, size_t... I>
auto abiFunction(std::index_sequence<I...>)
    -> int32_t (*)(void *, typename AbiType<AbiKernel<Id>::letters[I]>::type...);

// The C type of kernel Id's table entry, spelled from its signature string.
template <slimtune_kernel_id Id>
using AbiFunction =
    decltype(abiFunction<Id>(std::make_index_sequence<sizeof(AbiKernel<Id>::letters) - 1>()));

} // namespace slimtune::kernels

#endif // SLIMTUNE_KERNELS_KERNEL_SIGNATURE_H
