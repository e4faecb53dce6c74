/* SLIMTUNE_HOST_DEVICE marks the per-element helpers of kernels/common/: one definition serves
 * the CPU kernels (plain inline functions) and CUDA kernels (nvcc compiles them for host and
 * device). Plain C, as counter_random.h is. */
#ifndef SLIMTUNE_KERNELS_COMMON_HOST_DEVICE_H
#define SLIMTUNE_KERNELS_COMMON_HOST_DEVICE_H

#ifdef __CUDACC__
#define SLIMTUNE_HOST_DEVICE __host__ __device__
#else
#define SLIMTUNE_HOST_DEVICE
#endif

#endif /* SLIMTUNE_KERNELS_COMMON_HOST_DEVICE_H */
