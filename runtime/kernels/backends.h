// The kernel backends this build has, each as a step sees it (kernel_abi.h): a name, its table
// and the context its kernels receive; and a call of one table entry with the C types its
// signature string spells. For the kernel tests and benchmarks, which run each check for every
// backend (the runtime opens its backend as a Device, slimtune/device.h). A backend adds itself
// by one line in backends(); the tests hand the kernels host memory.
#ifndef SLIMTUNE_KERNELS_BACKENDS_H
#define SLIMTUNE_KERNELS_BACKENDS_H

#include "kernels/cpu/kernels.h"
#include "kernels/kernel_signature.h"

#include <vector>

namespace slimtune::kernels {

struct Backend {
  const char *name;
  void *const *table; // SLIMTUNE_KERNEL_COUNT entries
  void *context;      // every kernel's first argument
};

// The runtime's list of the same backends, as devices, is runtime/src/device/devices.cpp: a
// backend adds a row to both.
inline const std::vector<Backend> &backends() {
  static const std::vector<Backend> all = {
      {"cpu", cpu::kernelTable(), nullptr},
  };
  return all;
}

// Kernel Id of `backend` on `args` (converted to the signature's C types); its status.
template <slimtune_kernel_id Id, typename... Args>
int32_t call(const Backend &backend, Args... args) {
  return reinterpret_cast<AbiFunction<Id>>(backend.table[Id])(backend.context, args...);
}

} // namespace slimtune::kernels

#endif // SLIMTUNE_KERNELS_BACKENDS_H
