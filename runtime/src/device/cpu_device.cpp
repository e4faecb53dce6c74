// The CPU device (cpu_device.h).
#include "device/cpu_device.h"

#include "kernels/cpu/kernels.h"
#include "slimtune/kernel_abi.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace slimtune {
namespace {

// The table SLIMTUNE_KERNELS selects, read once: every CPU device of a process runs the same
// kernels.
const std::vector<void *> &kernelChoice() {
  static const std::vector<void *> table = [] {
    const char *environment = std::getenv("SLIMTUNE_KERNELS");
    return cpuKernelTable(environment ? environment : "");
  }();
  return table;
}

} // namespace

std::vector<void *> cpuKernelTable(std::string_view choice) {
  std::vector<void *> table(cpu::kernelTable(), cpu::kernelTable() + SLIMTUNE_KERNEL_COUNT);
  if (choice.rfind("reference", 0) != 0)
    return table;
  static const char *names[] = {
#define SLIMTUNE_KERNEL_NAME(ID, name, signature) #ID,
      SLIMTUNE_KERNELS(SLIMTUNE_KERNEL_NAME)
#undef SLIMTUNE_KERNEL_NAME
  };
  const std::string list = choice.size() > 10 ? "," + std::string(choice.substr(10)) + "," : "";
  for (int k = 0; k < SLIMTUNE_KERNEL_COUNT; ++k)
    if (list.empty() || list.find("," + std::string(names[k]) + ",") != std::string::npos)
      table[k] = cpu::referenceKernelTable()[k];
  return table;
}

CpuDevice::CpuDevice() : kernels_(kernelChoice().data()) {}

Expected<DeviceMemory> CpuDevice::allocate(int64_t bytes) {
  // Rounded up to whole cache lines, at least one: what the device holds is what it counts.
  const int64_t rounded =
      bytes < 0 || bytes > INT64_MAX - 63 ? -1 : std::max<int64_t>(64, (bytes + 63) / 64 * 64);
  void *data = nullptr;
  if (rounded < 0 || posix_memalign(&data, 64, static_cast<size_t>(rounded)) != 0)
    return Status::error("cannot allocate " + std::to_string(bytes) + " bytes of host memory");
  std::memset(data, 0, static_cast<size_t>(rounded));
  current_ += rounded;
  peak_ = std::max(peak_, current_);
  return DeviceMemory(this, data, rounded);
}

void CpuDevice::release(void *data, int64_t bytes) {
  std::free(data);
  current_ -= bytes;
}

Status CpuDevice::copyIn(void *device, const void *host, int64_t bytes) {
  std::memcpy(device, host, static_cast<size_t>(bytes));
  return Status::ok();
}

Status CpuDevice::copyOut(void *host, const void *device, int64_t bytes) const {
  std::memcpy(host, device, static_cast<size_t>(bytes));
  return Status::ok();
}

Status CpuDevice::kernelFailure(int32_t kernelId, int32_t status) const {
  // The CPU kernels have no error text of their own beyond their status.
  return Status::error(kernelFailureText(kernelId, status));
}

} // namespace slimtune
