// What all devices share: the targets this build has, and the words for a failed kernel.
#include "slimtune/device.h"

#include "device/cpu_device.h"
#include "slimtune/kernel_abi.h"

namespace slimtune {
namespace {

// One row per backend this build has; a backend that needs a toolkit (CUDA) adds its row
// where the build enables it. The kernel tests and benchmarks list the same backends in
// runtime/kernels/backends.h: a backend adds a row to both.
struct Backend {
  const char *target;
  std::unique_ptr<Device> (*open)();
};

const Backend kBackends[] = {
    {"cpu", [] { return std::unique_ptr<Device>(std::make_unique<CpuDevice>()); }},
};

} // namespace

Expected<std::unique_ptr<Device>> openDevice(std::string_view target) {
  for (const Backend &backend : kBackends)
    if (target == backend.target)
      return backend.open();
  std::string available;
  for (const std::string &name : availableTargets())
    available += (available.empty() ? "" : ", ") + name;
  return Status::error("no device for target \"" + std::string(target) + "\": this build has " +
                       available);
}

std::vector<std::string> availableTargets() {
  std::vector<std::string> names;
  for (const Backend &backend : kBackends)
    names.push_back(backend.target);
  return names;
}

std::string kernelFailureText(int32_t kernelId, int32_t status) {
  static const char *names[] = {
#define SLIMTUNE_KERNEL_NAME(ID, name, signature) #name,
      SLIMTUNE_KERNELS(SLIMTUNE_KERNEL_NAME)
#undef SLIMTUNE_KERNEL_NAME
  };
  const std::string kernel = kernelId >= 0 && kernelId < SLIMTUNE_KERNEL_COUNT
                                 ? names[kernelId]
                                 : "#" + std::to_string(kernelId) + " (not in this runtime's table)";
  std::string meaning;
  switch (status) {
  case SLIMTUNE_KERNEL_INVALID_ARGUMENT:
    meaning = "invalid argument (a size or value the kernel cannot handle)";
    break;
  case SLIMTUNE_KERNEL_DEVICE_ERROR:
    meaning = "device error (the device or a library it calls failed)";
    break;
  case SLIMTUNE_KERNEL_OUT_OF_MEMORY:
    meaning = "out of memory (scratch memory a library wanted was refused)";
    break;
  default:
    meaning = "unknown status " + std::to_string(status);
  }
  return "kernel " + kernel + " failed: " + meaning;
}

} // namespace slimtune
