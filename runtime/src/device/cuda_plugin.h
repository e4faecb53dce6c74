// The CUDA device, opened through libslimtune_cuda.so (cuda_plugin.cpp).
#ifndef SLIMTUNE_DEVICE_CUDA_PLUGIN_H
#define SLIMTUNE_DEVICE_CUDA_PLUGIN_H

#include "slimtune/device.h"

#include <memory>

namespace slimtune {

// GPU 0 as a device, or one line "no CUDA device: <why>" (no GPU, no driver, the library
// missing, or a build without CUDA).
Expected<std::unique_ptr<Device>> openCudaDevice();

} // namespace slimtune

#endif // SLIMTUNE_DEVICE_CUDA_PLUGIN_H
