// Device kernels (device_kernel_test.h), quantization: quantize, dequantize, quantize_ema.
#include "kernels/device_buffers.h"
#include "kernels/device_kernel_test.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace slimtune::testing {
namespace {

//===-- Quantization ----------------------------------------------------------------------===//

const StashShape kStashShapes[] = {
    {1, 1, 1, 0}, {5, 13, 4, 0}, {7, 128, 32, 0}, {300, 777, 64, 0}, {9, 100, 64, 0}};

// Quantize, and dequantize of the reference's bytes on both sides (exact).
TEST_P(DeviceKernels, QuantizeAndDequantize) {
  Rng rng(23);
  for (StashShape shape : kStashShapes)
    for (int32_t bits : {2, 4, 8})
      for (int32_t stochastic : {0, 1}) {
        StashShape s = shape;
        s.bits = bits;
        const std::string shapeText = cat("rows ", s.rows, " channels ", s.channels, " group ",
                                          s.group, " bits ", bits, " stochastic ", stochastic);
        const std::string l = label<SLIMTUNE_KERNEL_QUANTIZE>(shapeText);
        const std::string dl = label<SLIMTUNE_KERNEL_DEQUANTIZE>(shapeText);
        std::vector<float> x = rng.uniform(s.rows * s.channels, -4, 4);
        const int64_t seed = 77;
        const int32_t step = 3;
        DeviceBuffers d(device());
        uint8_t *out = d.filled<uint8_t>(s.bytes(), 0xAA);
        float *y = d.filled(x.size(), 3.0f);
        const float *dX = d.upload(x);
        const int32_t *dStep = d.upload(std::vector<int32_t>{step});
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_QUANTIZE>(l, out, dX, s.rows, s.channels, s.group, bits,
                                           stochastic, seed, dStep);
        std::vector<uint8_t> ref(s.bytes(), 0x55);
        onHost<SLIMTUNE_KERNEL_QUANTIZE>(l, ref.data(), x.data(), s.rows, s.channels, s.group, bits,
                                         stochastic, seed, &step);
        expectSameStash(l, d.download(out, ref.size()), ref, x, s, stochastic, seed, step);

        const uint8_t *dIn = d.upload(ref);
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_DEQUANTIZE>(dl, y, dIn, s.rows, s.channels, s.group, bits);
        std::vector<float> yRef(x.size());
        onHost<SLIMTUNE_KERNEL_DEQUANTIZE>(dl, yRef.data(), ref.data(), s.rows, s.channels, s.group,
                                           bits);
        expectClose(dl, "y", d.download(y, yRef.size()), yRef, {}, 0.0);
      }
}

// quantize_ema at step 0 (the batch's range) and at step 4 (moving a given range); the range
// updated in place within 1e-5, the stash as quantize's.
TEST_P(DeviceKernels, QuantizeEma) {
  Rng rng(24);
  for (StashShape shape : kStashShapes)
    for (int32_t bits : {2, 4, 8})
      for (int32_t stochastic : {0, 1})
        for (int32_t step : {0, 4}) {
          StashShape s = shape;
          s.bits = bits;
          const std::string l = label<SLIMTUNE_KERNEL_QUANTIZE_EMA>(
              cat("rows ", s.rows, " channels ", s.channels, " group ", s.group, " bits ", bits,
                  " stochastic ", stochastic, " step ", step));
          std::vector<float> x = rng.uniform(s.rows * s.channels, -4, 4);
          const int64_t channelGroups = (s.channels + s.group - 1) / s.group;
          std::vector<float> range(2 * channelGroups);
          for (int64_t c = 0; c < channelGroups; ++c) // a previous range, narrower than x's
            range[2 * c] = rng.uniform(1, -3.5f, -2.5f)[0],
                      range[2 * c + 1] = rng.uniform(1, 2.5f, 3.5f)[0];
          const int64_t seed = 31;
          const float decay = 0.9f;
          DeviceBuffers d(device());
          uint8_t *out = d.filled<uint8_t>(s.bytes(), 0xAA);
          float *dRange = d.upload(range);
          const float *dX = d.upload(x);
          const int32_t *dStep = d.upload(std::vector<int32_t>{step});
          ASSERT_TRUE(d.ok());
          onDevice<SLIMTUNE_KERNEL_QUANTIZE_EMA>(l, out, dX, dRange, s.rows, s.channels, s.group,
                                                 bits, stochastic, seed, dStep, decay);
          std::vector<uint8_t> ref(s.bytes(), 0x55);
          std::vector<float> rangeRef = range;
          onHost<SLIMTUNE_KERNEL_QUANTIZE_EMA>(l, ref.data(), x.data(), rangeRef.data(), s.rows,
                                               s.channels, s.group, bits, stochastic, seed, &step,
                                               decay);
          expectClose(l, "range", d.download(dRange, rangeRef.size()), rangeRef);
          expectSameStash(l, d.download(out, ref.size()), ref, x, s, stochastic, seed, step);
        }
}

} // namespace
} // namespace slimtune::testing
