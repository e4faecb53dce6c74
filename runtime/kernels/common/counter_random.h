/* The counter-based random draws of a step: lora's dropout mask and quantize's stochastic
 * rounding (SLIMTUNE_KERNELS in kernel_abi.h names them: the draws are part of the ABI's
 * semantics, and every backend makes exactly these). Plain C. */
#ifndef SLIMTUNE_KERNELS_COMMON_COUNTER_RANDOM_H
#define SLIMTUNE_KERNELS_COMMON_COUNTER_RANDOM_H

#include "host_device.h"

#include <stdint.h>

/* splitmix64's finalizer: the hash behind every counter-based random draw of a step. */
SLIMTUNE_HOST_DEVICE static inline uint64_t slimtune_mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* A uniform float in [0, 1) for element `index` at optimizer step `step` of the random stream
 * `seed`: counter based, so forward and backward agree without storing anything, a run is
 * reproducible, and a resumed run draws what the uninterrupted one would. */
SLIMTUNE_HOST_DEVICE static inline float slimtune_counter_uniform(uint64_t seed, int32_t step,
                                                                  uint64_t index) {
  uint64_t stream = slimtune_mix64(seed ^ slimtune_mix64((uint64_t)(uint32_t)step));
  return (float)(slimtune_mix64(stream + index) >> 40) * (1.0f / 16777216.0f);
}

/* Dropout's keep decision for element `index`: keep when the uniform draw is >= p. */
SLIMTUNE_HOST_DEVICE static inline int slimtune_dropout_keep(uint64_t seed, int32_t step,
                                                             uint64_t index, float p) {
  return slimtune_counter_uniform(seed, step, index) >= p;
}

#endif /* SLIMTUNE_KERNELS_COMMON_COUNTER_RANDOM_H */
