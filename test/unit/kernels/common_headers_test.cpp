// The per-element helpers of kernels/common/ compile as CUDA device code: nvcc compiles
// common_device.cu, which calls each of them from a kernel. Skipped where there is no nvcc
// ($SLIMTUNE_NVCC, else /usr/local/cuda/bin/nvcc, else nvcc on the PATH).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

std::string findNvcc() {
  if (const char *nvcc = std::getenv("SLIMTUNE_NVCC"))
    return nvcc;
  if (std::filesystem::exists("/usr/local/cuda/bin/nvcc"))
    return "/usr/local/cuda/bin/nvcc";
  return std::system("command -v nvcc >/dev/null 2>&1") == 0 ? "nvcc" : "";
}

TEST(KernelsCommon, CompilesAsCudaDeviceCode) {
  const std::string nvcc = findNvcc();
  if (nvcc.empty())
    GTEST_SKIP() << "no nvcc";
  const std::filesystem::path source = SLIMTUNE_SOURCE_DIR;
  const std::filesystem::path object =
      std::filesystem::temp_directory_path() /
      ("slimtune-common-device-" + std::to_string(::getpid()) + ".o");
  // Warnings are errors: nvcc only warns when device code calls a host function (std::min).
  const std::string command = "'" + nvcc + "' -std=c++17 --Werror all-warnings -x cu -c '" +
                              (source / "test/unit/kernels/common_device.cu").string() + "' -I '" +
                              (source / "runtime").string() + "' -I '" +
                              (source / "runtime/include").string() + "' -o '" + object.string() +
                              "' 2>&1";
  const int status = std::system(command.c_str());
  std::filesystem::remove(object);
  EXPECT_EQ(status, 0) << command;
}

} // namespace
