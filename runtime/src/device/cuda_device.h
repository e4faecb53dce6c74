// The CUDA device: step memory is GPU memory from cudaMalloc (zeroed, counted, so that "peak
// memory" is what the session really holds on the GPU), copies go through one stream, and the
// kernels are those of runtime/kernels/cuda/, whose context (kernels/cuda/cuda_context.h) this
// device owns: the stream, a cuBLAS handle on it with a workspace given once, and the kernels'
// scratch. Built into libslimtune_cuda.so with the kernels, never into the runtime itself, so
// that every binary starts on a machine without CUDA; the runtime loads it on demand
// (cuda_plugin.cpp).
#ifndef SLIMTUNE_DEVICE_CUDA_DEVICE_H
#define SLIMTUNE_DEVICE_CUDA_DEVICE_H

#include "slimtune/device.h"

#include <cstddef>

// The one symbol the CUDA library exports: a new CUDA device on GPU 0, or null with the reason
// written to `error` (one line, e.g. "no CUDA-capable device is detected").
extern "C" slimtune::Device *slimtune_cuda_open_device(char *error, size_t errorBytes);
#define SLIMTUNE_CUDA_OPEN_SYMBOL "slimtune_cuda_open_device"

#endif // SLIMTUNE_DEVICE_CUDA_DEVICE_H
