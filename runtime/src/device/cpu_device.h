// The CPU device: step memory is host memory (zeroed, 64-byte aligned, and counted, so that
// "peak memory" is the high-water mark of what the steps really hold), copies are memcpy,
// and the kernels are those of runtime/kernels/cpu/, which need no context.
#ifndef SLIMTUNE_DEVICE_CPU_DEVICE_H
#define SLIMTUNE_DEVICE_CPU_DEVICE_H

#include "slimtune/device.h"

#include <string_view>
#include <vector>

namespace slimtune {

// The kernels SLIMTUNE_KERNELS=`choice` selects: the fast ones, unless it asks for the plain
// references, all ("reference") or some ("reference:LAYER_NORM_GRAD,GELU_GRAD"), to check a
// whole step's fast kernels against their references.
std::vector<void *> cpuKernelTable(std::string_view choice);

class CpuDevice : public Device {
public:
  // The kernel table is chosen once per process, from SLIMTUNE_KERNELS.
  CpuDevice();

  std::string_view target() const override { return "cpu"; }
  Expected<DeviceMemory> allocate(int64_t bytes) override;
  Status copyIn(void *device, const void *host, int64_t bytes) override;
  Status copyOut(void *host, const void *device, int64_t bytes) const override;
  bool hostAccessible() const override { return true; }
  void *const *kernels() const override { return kernels_; }
  void *kernelContext() override { return nullptr; }
  Status synchronize() override { return Status::ok(); }
  Status kernelFailure(int32_t kernelId, int32_t status) const override;
  int64_t currentBytes() const override { return current_; }
  int64_t peakBytes() const override { return peak_; }

protected:
  void release(void *data, int64_t bytes) override;

private:
  void *const *kernels_;
  int64_t current_ = 0;
  int64_t peak_ = 0;
};

} // namespace slimtune

#endif // SLIMTUNE_DEVICE_CPU_DEVICE_H
