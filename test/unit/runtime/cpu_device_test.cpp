// The CPU device: zeroed, aligned, counted memory; copies in and out; the kernel table SLIMTUNE_KERNELS
// selects; the words for a failed kernel; opening devices by target name.
#include "device/cpu_device.h"

#include "kernels/cpu/kernels.h"
#include "slimtune/kernel_abi.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace slimtune {
namespace {

TEST(CpuDevice, AllocatesZeroedAlignedCountedMemory) {
  CpuDevice device;
  auto first = device.allocate(100);
  ASSERT_TRUE(first) << first.status().message();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first->data()) % 64, 0u);
  EXPECT_EQ(first->bytes(), 128); // whole cache lines
  const auto *bytes = static_cast<const uint8_t *>(first->data());
  EXPECT_EQ(std::vector<uint8_t>(bytes, bytes + 128), std::vector<uint8_t>(128, 0));
  auto second = device.allocate(0);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->bytes(), 64); // at least one line
  EXPECT_EQ(device.currentBytes(), 192);
  first->reset();
  EXPECT_EQ(device.currentBytes(), 64);
  EXPECT_EQ(device.peakBytes(), 192);
}

TEST(CpuDevice, RefusesImpossibleSizesByName) {
  CpuDevice device;
  auto negative = device.allocate(-1);
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.status().message(), "cannot allocate -1 bytes of host memory");
  auto huge = device.allocate(INT64_MAX);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.status().message(),
            "cannot allocate " + std::to_string(INT64_MAX) + " bytes of host memory");
  EXPECT_EQ(device.currentBytes(), 0);
}

TEST(CpuDevice, CopiesInAndOut) {
  CpuDevice device;
  auto a = device.allocate(16);
  ASSERT_TRUE(a);
  const float in[4] = {1, 2, 3, 4};
  float out[4] = {};
  ASSERT_TRUE(device.copyIn(a->data(), in, sizeof in));
  ASSERT_TRUE(device.copyOut(out, a->data(), sizeof out));
  EXPECT_EQ(std::vector<float>(out, out + 4), std::vector<float>(in, in + 4));
  EXPECT_TRUE(device.hostAccessible());
  EXPECT_EQ(device.kernelContext(), nullptr);
  EXPECT_TRUE(device.synchronize());
}

TEST(CpuDevice, KernelTableFollowsTheChoice) {
  const std::vector<void *> fast(cpu::kernelTable(), cpu::kernelTable() + SLIMTUNE_KERNEL_COUNT);
  const std::vector<void *> reference(cpu::referenceKernelTable(),
                                      cpu::referenceKernelTable() + SLIMTUNE_KERNEL_COUNT);
  EXPECT_EQ(cpuKernelTable(""), fast);
  EXPECT_EQ(cpuKernelTable("fast"), fast);
  EXPECT_EQ(cpuKernelTable("reference"), reference);
  std::vector<void *> some = fast;
  some[SLIMTUNE_KERNEL_LAYER_NORM_GRAD] = reference[SLIMTUNE_KERNEL_LAYER_NORM_GRAD];
  some[SLIMTUNE_KERNEL_GELU_GRAD] = reference[SLIMTUNE_KERNEL_GELU_GRAD];
  EXPECT_EQ(cpuKernelTable("reference:LAYER_NORM_GRAD,GELU_GRAD"), some);
  for (int k = 0; k < SLIMTUNE_KERNEL_COUNT; ++k)
    EXPECT_NE(CpuDevice().kernels()[k], nullptr) << "kernel " << k;
}

TEST(CpuDevice, KernelFailureNamesTheKernelAndStatus) {
  CpuDevice device;
  EXPECT_EQ(device.kernelFailure(SLIMTUNE_KERNEL_LAYER_NORM_GRAD, SLIMTUNE_KERNEL_INVALID_ARGUMENT)
                .message(),
            "kernel layer_norm_grad failed: invalid argument (a size or value the kernel cannot "
            "handle)");
  EXPECT_EQ(device.kernelFailure(SLIMTUNE_KERNEL_ADAMW, SLIMTUNE_KERNEL_DEVICE_ERROR).message(),
            "kernel adamw failed: device error (the device or a library it calls failed)");
  EXPECT_EQ(device.kernelFailure(SLIMTUNE_KERNEL_LINEAR, SLIMTUNE_KERNEL_OUT_OF_MEMORY).message(),
            "kernel linear failed: out of memory (scratch memory a library wanted was refused)");
  EXPECT_EQ(device.kernelFailure(999, 42).message(),
            "kernel #999 (not in this runtime's table) failed: unknown status 42");
}

TEST(Devices, OpenByTargetName) {
  EXPECT_EQ(availableTargets(), (std::vector<std::string>{"cpu", "cuda"}));
  auto cpu = openDevice("cpu");
  ASSERT_TRUE(cpu) << cpu.status().message();
  EXPECT_EQ((*cpu)->target(), "cpu");
  auto none = openDevice("tpu");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.status().message(), "no device for target \"tpu\": this build has cpu, cuda");
}

TEST(Devices, CudaOpensOrSaysWhyInOneLine) {
  // A GPU machine opens GPU 0; anywhere else (no GPU, no driver, no library, or a build
  // without nvcc) one line says why.
  auto cuda = openDevice("cuda");
  if (cuda) {
    EXPECT_EQ((*cuda)->target(), "cuda");
    EXPECT_FALSE((*cuda)->hostAccessible());
    return;
  }
  const std::string &why = cuda.status().message();
  // scripts/gpu_check.sh requires the GPU (SLIMTUNE_REQUIRE_DEVICES=cuda): there, not opening
  // it is a failure.
  const char *required = std::getenv("SLIMTUNE_REQUIRE_DEVICES");
  EXPECT_FALSE(required && std::string(required).find("cuda") != std::string::npos) << why;
  EXPECT_EQ(why.rfind("no CUDA device: ", 0), 0u) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
}

} // namespace
} // namespace slimtune
