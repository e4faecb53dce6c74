// The words every device's kernelFailure starts with (slimtune/device.h). Its own file: the
// CUDA device, built as a separate library (cuda_plugin.cpp), compiles it too.
#include "slimtune/device.h"
#include "slimtune/kernel_abi.h"

namespace slimtune {

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
