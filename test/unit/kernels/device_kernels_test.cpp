// Device kernels (device_kernel_test.h): the instantiation of the suite, and calls of size 0.
#include "kernels/device_buffers.h"
#include "kernels/device_kernel_test.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace slimtune::testing {
namespace {

// The suite's one instantiation, over the targets "cpu" and "cuda": test names are
// Targets/DeviceKernels.<Name>/<target>, for the TEST_P cases of every
// device_kernels_*_test.cpp file (gtest instantiates them all at InitGoogleTest).
INSTANTIATE_TEST_SUITE_P(Targets, DeviceKernels, ::testing::Values("cpu", "cuda"),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           return info.param;
                         });

//===-- Size 0 ----------------------------------------------------------------------------===//

// Calls with a size of 0 return OK and write nothing: every buffer keeps its 0xA5 bytes.
TEST_P(DeviceKernels, SizeZeroTouchesNothing) {
  const std::vector<uint8_t> pattern(256, 0xA5);
  DeviceBuffers d(device());
  std::vector<uint8_t *> buffers;
  for (int i = 0; i < 8; ++i)
    buffers.push_back(d.upload(pattern));
  ASSERT_TRUE(d.ok());
  auto f = [&](int i) { return reinterpret_cast<float *>(buffers[i]); };
  const int32_t *step = d.upload(std::vector<int32_t>{1});
  const float *lr = d.upload(std::vector<float>{1e-3f});
  ASSERT_TRUE(d.ok());
  const std::string shape = "size 0";
  onDevice<SLIMTUNE_KERNEL_EMBEDDING>(label<SLIMTUNE_KERNEL_EMBEDDING>(shape), f(0), f(1),
                                      reinterpret_cast<int32_t *>(buffers[2]), 0, 16, 4);
  onDevice<SLIMTUNE_KERNEL_RMS_NORM>(label<SLIMTUNE_KERNEL_RMS_NORM>(shape), f(0), f(1), f(2), 0,
                                     16, 1e-5f);
  onDevice<SLIMTUNE_KERNEL_LAYER_NORM>(label<SLIMTUNE_KERNEL_LAYER_NORM>(shape), f(0), f(1), f(2),
                                       f(3), 0, 16, 1e-5f);
  onDevice<SLIMTUNE_KERNEL_LINEAR>(label<SLIMTUNE_KERNEL_LINEAR>(shape), f(0), f(1), f(2), f(3), 0,
                                   4, 4, 0);
  onDevice<SLIMTUNE_KERNEL_LINEAR_BF16>(label<SLIMTUNE_KERNEL_LINEAR_BF16>(shape), f(0), f(1),
                                        reinterpret_cast<uint16_t *>(buffers[2]), f(3),
                                        reinterpret_cast<uint16_t *>(buffers[4]), 0, 4, 4, 1);
  onDevice<SLIMTUNE_KERNEL_LINEAR_BF16>(label<SLIMTUNE_KERNEL_LINEAR_BF16>("out 0"), f(0), f(1),
                                        reinterpret_cast<uint16_t *>(buffers[2]), f(3),
                                        reinterpret_cast<uint16_t *>(buffers[4]), 4, 4, 0, 0);
  onDevice<SLIMTUNE_KERNEL_EMBEDDING_BF16>(label<SLIMTUNE_KERNEL_EMBEDDING_BF16>(shape), f(0),
                                           reinterpret_cast<uint16_t *>(buffers[1]),
                                           reinterpret_cast<int32_t *>(buffers[2]), 0, 16, 4);
  onDevice<SLIMTUNE_KERNEL_SUM_ROWS>(label<SLIMTUNE_KERNEL_SUM_ROWS>(shape), f(0), f(1), 0, 0);
  onDevice<SLIMTUNE_KERNEL_LORA>(label<SLIMTUNE_KERNEL_LORA>(shape), f(0), f(1), f(2), f(3), f(4),
                                 0, 4, 4, 2, 1.0f, 0.1f, 1, step);
  onDevice<SLIMTUNE_KERNEL_ROPE>(label<SLIMTUNE_KERNEL_ROPE>(shape), f(0), f(1), 0, 4, 8, 8,
                                 10000.0f, 0);
  onDevice<SLIMTUNE_KERNEL_ATTENTION>(label<SLIMTUNE_KERNEL_ATTENTION>(shape), f(0), f(1), f(2),
                                      f(3), f(4), f(5), 0, 4, 2, 2, 8, 0.5f);
  onDevice<SLIMTUNE_KERNEL_SILU>(label<SLIMTUNE_KERNEL_SILU>(shape), f(0), f(1), 0);
  onDevice<SLIMTUNE_KERNEL_GELU>(label<SLIMTUNE_KERNEL_GELU>(shape), f(0), f(1), 0, 0);
  onDevice<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(label<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(shape),
                                             buffers[0], f(1), 0, 0);
  onDevice<SLIMTUNE_KERNEL_QUANTIZE>(label<SLIMTUNE_KERNEL_QUANTIZE>(shape), buffers[0], f(1), 0,
                                     16, 4, 8, 1, 1, step);
  onDevice<SLIMTUNE_KERNEL_DEQUANTIZE>(label<SLIMTUNE_KERNEL_DEQUANTIZE>(shape), f(0), buffers[1],
                                       0, 16, 4, 8);
  onDevice<SLIMTUNE_KERNEL_ADD>(label<SLIMTUNE_KERNEL_ADD>(shape), f(0), f(1), f(2), 0);
  onDevice<SLIMTUNE_KERNEL_MUL>(label<SLIMTUNE_KERNEL_MUL>(shape), f(0), f(1), f(2), 0);
  onDevice<SLIMTUNE_KERNEL_FILL_ZERO>(label<SLIMTUNE_KERNEL_FILL_ZERO>(shape), buffers[0], 0);
  onDevice<SLIMTUNE_KERNEL_COPY_COLUMNS>(label<SLIMTUNE_KERNEL_COPY_COLUMNS>(shape), f(0), f(1), 0,
                                         8, 8, 0, 0, 8);
  onDevice<SLIMTUNE_KERNEL_SUM_SQUARES>(label<SLIMTUNE_KERNEL_SUM_SQUARES>(shape),
                                        reinterpret_cast<double *>(buffers[0]), f(1), 0);
  onDevice<SLIMTUNE_KERNEL_ADAMW>(label<SLIMTUNE_KERNEL_ADAMW>(shape), f(0), f(1), f(2), f(3), 0,
                                  lr, step, nullptr, 0.0f, 0.9f, 0.999f, 1e-8f, 0.01f);
  for (size_t i = 0; i < buffers.size(); ++i)
    expectEqualBytes(cat("size-0 calls on ", target()), cat("buffer ", i).c_str(),
                     d.download(buffers[i], pattern.size()), pattern);
}

} // namespace
} // namespace slimtune::testing
