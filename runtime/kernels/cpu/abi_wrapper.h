// A CPU kernel as a step calls it. The C++ kernels keep their own signatures, without the
// device context (tests and benchmarks call them directly): most return nothing, as they
// cannot fail; those built on a library (GEMM) return its status. The table holds, for each,
// AbiWrapper<kernel>::call: int32_t(void *context, the kernel's parameters), which ignores the
// context (NULL on the CPU), calls the kernel and returns its status, or SLIMTUNE_KERNEL_OK:
// one more direct call per kernel call of a step.
#ifndef SLIMTUNE_KERNELS_CPU_ABI_WRAPPER_H
#define SLIMTUNE_KERNELS_CPU_ABI_WRAPPER_H

#include "slimtune/kernel_abi.h"

#include <cstdint>

namespace slimtune::cpu {

template <auto Kernel> struct AbiWrapper;

template <typename... Args, void (*Kernel)(Args...)> struct AbiWrapper<Kernel> {
  static int32_t call(void *, Args... args) {
    Kernel(args...);
    return SLIMTUNE_KERNEL_OK;
  }
};

template <typename... Args, int32_t (*Kernel)(Args...)> struct AbiWrapper<Kernel> {
  static int32_t call(void *, Args... args) { return Kernel(args...); }
};

// The table entry of a C++ kernel: the same address wherever it is taken.
template <auto Kernel> void *abiEntry() {
  return reinterpret_cast<void *>(&AbiWrapper<Kernel>::call);
}

} // namespace slimtune::cpu

#endif // SLIMTUNE_KERNELS_CPU_ABI_WRAPPER_H
