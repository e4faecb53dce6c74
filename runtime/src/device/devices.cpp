// What all devices share: the targets this build has, and the words for a failed kernel.
#include "slimtune/device.h"

#include "device/cpu_device.h"
#include "device/cuda_plugin.h"
#include "slimtune/kernel_abi.h"

namespace slimtune {
namespace {

// One row per backend. CUDA's row is there in every build: where the build or the machine
// has no CUDA, opening it says why in one line. The kernel tests and benchmarks list the
// host-memory backends in runtime/kernels/backends.h; test/unit/kernels/device_kernels_test.cpp
// checks every device's kernels against the CPU references.
struct Backend {
  const char *target;
  Expected<std::unique_ptr<Device>> (*open)();
};

const Backend kBackends[] = {
    {"cpu", []() -> Expected<std::unique_ptr<Device>> { return std::unique_ptr<Device>(std::make_unique<CpuDevice>()); }},
    {"cuda", openCudaDevice},
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

} // namespace slimtune
