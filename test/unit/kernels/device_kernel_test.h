// The shared part of the device kernel tests (device_kernels_*_test.cpp): every kernel of
// SLIMTUNE_KERNELS run on a Device (slimtune/device.h), on device memory, against the CPU's
// plain reference (cpu::referenceKernelTable()) on the same inputs on the host. The path is the
// one a step takes: inputs copied in through the device, the kernel taken from
// device->kernels() and called with device->kernelContext(), its status SLIMTUNE_KERNEL_OK,
// device->synchronize() ok, outputs copied out.
//
// This header holds the value-parameterized fixture DeviceKernels (parameter: the target), the
// per-process device cache behind it, and the helpers the test files share: input generators
// (Rng, absolute, toDoubles, toBf16), the comparisons (expectClose and the rule below,
// expectEqualBytes, expectCloseF64, expectSameStash), workspace sizes (the most any backend
// states), labels, and the shapes more than one file uses. The suite is instantiated once, in
// device_kernels_test.cpp, over "cpu" and "cuda" (test names
// Targets/DeviceKernels.<Name>/<target>); the other files only add TEST_P cases, one file per
// kernel family.
//
// Targets: "cpu" checks the CPU device's fast kernels through exactly this path (so the harness
// runs, and can fail, everywhere); "cuda" skips each test, with openDevice's error, where no
// CUDA device can be opened, and fails instead where SLIMTUNE_REQUIRE_DEVICES names it. Each
// device is opened once per process.
//
// Tolerances (one helper, expectClose):
//   fp32 outputs: element i passes when |got_i - ref_i| <= 1e-5 * max(|ref_i|, floor_i), with
//   floor_i = max(1e-3 * max_j |ref_j|, magnitude_i). The first term keeps elements that are
//   tiny next to the rest of their tensor from demanding more than fp32 gives. magnitude_i is
//   given where an output is a sum whose terms can cancel (GEMMs, LoRA, attention, norms'
//   means, the activations' 1 + erf): the sum of the absolute values of the terms the element
//   is computed from, which is what the rounding error of any summation order is relative to
//   (for GEMM-like kernels it is the reference run on |inputs|; elsewhere a short host formula
//   in double). Copies (embedding, copy_columns, fill_zero) and dequantize must be exact.
//   cross_entropy alone is checked against its reference run in double (see there).
//   sum_squares (double): 1e-9 relative. Quantize: see expectSameStash.
// Failure messages name the kernel, the target, the shape and the worst element.
#ifndef SLIMTUNE_TEST_UNIT_KERNELS_DEVICE_KERNEL_TEST_H
#define SLIMTUNE_TEST_UNIT_KERNELS_DEVICE_KERNEL_TEST_H

#include "kernels/common/bf16.h"
#include "kernels/common/counter_random.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/workspace.h"
#include "kernels/cuda/workspace.h"
#include "kernels/kernel_signature.h"
#include "slimtune/device.h"
#include "slimtune/kernel_abi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

// Not in an anonymous namespace: every test file must see the one fixture type DeviceKernels
// (gtest refuses a suite name used by two fixture classes), and the one device cache.
namespace slimtune::testing {

//===-- Inputs ----------------------------------------------------------------------------===//

// Fixed-seed inputs.
class Rng {
public:
  explicit Rng(uint32_t seed) : engine_(seed) {}
  std::vector<float> uniform(size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (float &x : v)
      x = dist(engine_);
    return v;
  }
  // Integers in [lo, hi).
  std::vector<int32_t> ints(size_t n, int32_t lo, int32_t hi) {
    std::uniform_int_distribution<int32_t> dist(lo, hi - 1);
    std::vector<int32_t> v(n);
    for (int32_t &x : v)
      x = dist(engine_);
    return v;
  }

private:
  std::mt19937 engine_;
};

inline std::vector<float> absolute(const std::vector<float> &v) {
  std::vector<float> a(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    a[i] = std::fabs(v[i]);
  return a;
}

inline std::vector<double> toDoubles(const std::vector<float> &v) { return {v.begin(), v.end()}; }

// bf16 bit patterns of v, rounded to nearest even; and |b| of bf16 values (the sign bit
// cleared: |bf16(v)| = bf16(|v|)).
inline std::vector<uint16_t> toBf16(const std::vector<float> &v) {
  std::vector<uint16_t> b(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    b[i] = common::f32ToBf16Bits(v[i]);
  return b;
}
inline std::vector<uint16_t> absoluteBf16(const std::vector<uint16_t> &b) {
  std::vector<uint16_t> a(b.size());
  for (size_t i = 0; i < b.size(); ++i)
    a[i] = static_cast<uint16_t>(b[i] & 0x7fff);
  return a;
}

template <typename... Parts> std::string cat(const Parts &...parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

//===-- Comparisons -----------------------------------------------------------------------===//

inline constexpr double kRelative = 1e-5;

// The rule of the header: |got_i - ref_i| <= rtol * max(|ref_i|, 1e-3 * max|ref|, magnitude_i)
// (magnitude empty: none). rtol 0 demands equality. Reports the number of failing elements and
// the worst one (largest error over its allowance).
inline void expectClose(const std::string &label, const char *output, const std::vector<float> &got,
                        const std::vector<float> &ref, const std::vector<double> &magnitude = {},
                        double rtol = kRelative) {
  ASSERT_EQ(got.size(), ref.size()) << label << " " << output;
  double largest = 0;
  for (float r : ref)
    largest = std::max(largest, std::fabs(static_cast<double>(r)));
  const double tensorFloor = 1e-3 * largest;
  size_t failures = 0, worst = 0;
  double worstRatio = 0, worstAllowed = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double r = ref[i], g = got[i];
    double scale = std::max(std::fabs(r), tensorFloor);
    if (!magnitude.empty())
      scale = std::max(scale, magnitude[i]);
    const double allowed = rtol * scale, error = std::fabs(g - r);
    const bool bitwiseEqual = std::memcmp(&got[i], &ref[i], sizeof(float)) == 0;
    if (bitwiseEqual || error <= allowed)
      continue;
    ++failures;
    const double ratio = allowed > 0 ? error / allowed : HUGE_VAL;
    if (failures == 1 || !(ratio <= worstRatio)) {
      worst = i, worstRatio = ratio, worstAllowed = allowed;
    }
  }
  EXPECT_EQ(failures, 0u) << label << ": output " << output << ": " << failures << " of "
                          << ref.size() << " elements outside the tolerance; worst element "
                          << worst << ": got " << got[worst] << ", reference " << ref[worst]
                          << ", |error| " << std::fabs(double(got[worst]) - double(ref[worst]))
                          << " > allowed " << worstAllowed << " (rtol " << rtol << ")";
}

inline void expectEqualBytes(const std::string &label, const char *output,
                             const std::vector<uint8_t> &got, const std::vector<uint8_t> &ref) {
  ASSERT_EQ(got.size(), ref.size()) << label << " " << output;
  size_t failures = 0, first = 0;
  for (size_t i = 0; i < ref.size(); ++i)
    if (got[i] != ref[i] && failures++ == 0)
      first = i;
  EXPECT_EQ(failures, 0u) << label << ": output " << output << ": " << failures << " of "
                          << ref.size() << " bytes differ; first at byte " << first << ": got "
                          << int(got[first]) << ", reference " << int(ref[first]);
}

// A double scalar within `rtol` of the reference, relative.
inline void expectCloseF64(const std::string &label, const char *output, double got, double ref,
                           double rtol) {
  EXPECT_LE(std::fabs(got - ref), rtol * std::fabs(ref))
      << label << ": output " << output << ": got " << got << ", reference " << ref;
}

// The stash layout of quantize and quantize_ema (kernel_abi.h): per group of a row an fp32
// (step, lo) header, then the codes packed `bits` wide.
struct StashShape {
  int64_t rows, channels, group;
  int32_t bits;
  int64_t groups() const { return rows * ((channels + group - 1) / group); }
  int64_t bytes() const { return groups() * 8 + (rows * channels * bits + 7) / 8; }
};

// Quantized stashes. The headers within 1e-5 relative (expectClose). Codes: a code is a
// floor of t = (x - lo) / step + u, so an implementation that computes t in another order
// (a reciprocal multiply, FMA) can land on the other side of an integer when the reference's
// t lies within rounding of it. A differing code is therefore excused only when the
// reference's t (in double, from the reference's header) is within 1e-5 * max(1, |t|) of an
// integer and the codes differ by one; such ties occur at about 2e-5 * t of random values
// and an implementation disagrees on few of them, so at most 1 + 5 per million codes may be
// excused. Any other difference fails.
inline void expectSameStash(const std::string &label, const std::vector<uint8_t> &got,
                            const std::vector<uint8_t> &ref, const std::vector<float> &x,
                            const StashShape &s, int32_t stochastic, int64_t seed, int32_t step) {
  ASSERT_EQ(got.size(), static_cast<size_t>(s.bytes())) << label;
  ASSERT_EQ(ref.size(), got.size()) << label;
  const int64_t groups = s.groups(), perRow = (s.channels + s.group - 1) / s.group;
  std::vector<float> headerGot(2 * groups), headerRef(2 * groups);
  std::memcpy(headerGot.data(), got.data(), 8 * groups);
  std::memcpy(headerRef.data(), ref.data(), 8 * groups);
  expectClose(label, "stash header (step, lo)", headerGot, headerRef);
  const uint8_t *codesGot = got.data() + 8 * groups, *codesRef = ref.data() + 8 * groups;
  const unsigned mask = (1u << s.bits) - 1;
  auto codeAt = [&](const uint8_t *codes, int64_t i) {
    return (codes[i * s.bits / 8] >> (i * s.bits % 8)) & mask;
  };
  int64_t excused = 0, failures = 0, firstFailure = -1;
  for (int64_t i = 0; i < s.rows * s.channels; ++i) {
    const unsigned a = codeAt(codesGot, i), b = codeAt(codesRef, i);
    if (a == b)
      continue;
    const int64_t k = (i / s.channels) * perRow + (i % s.channels) / s.group;
    const double stepSize = headerRef[2 * k], lo = headerRef[2 * k + 1];
    const double u = stochastic ? slimtune_counter_uniform(static_cast<uint64_t>(seed), step,
                                                           static_cast<uint64_t>(i))
                                : 0.5;
    const double t = stepSize > 0 ? (x[i] - lo) / stepSize + u : 0.0;
    const bool tie = std::fabs(t - std::round(t)) <= 1e-5 * std::max(1.0, std::fabs(t));
    if (tie && (a + 1 == b || b + 1 == a))
      ++excused;
    else if (failures++ == 0)
      firstFailure = i;
  }
  const int64_t allowed = 1 + s.rows * s.channels * 5 / 1000000;
  EXPECT_EQ(failures, 0) << label << ": " << failures << " codes differ away from a rounding "
                         << "boundary; first element " << firstFailure << ": got "
                         << (firstFailure >= 0 ? codeAt(codesGot, firstFailure) : 0)
                         << ", reference "
                         << (firstFailure >= 0 ? codeAt(codesRef, firstFailure) : 0) << ", x "
                         << (firstFailure >= 0 ? x[firstFailure] : 0.0f);
  EXPECT_LE(excused, allowed) << label << ": " << excused
                              << " codes differ at rounding boundaries (at most " << allowed
                              << " of " << s.rows * s.channels << " allowed)";
}

//===-- Devices and calls -----------------------------------------------------------------===//

struct OpenedDevice {
  std::unique_ptr<Device> device;
  std::string error;
};

// The device of `target`, opened on first use and kept for the whole process (never closed:
// a GPU runtime may be torn down before static destructors run); null with openDevice's error.
inline Device *deviceFor(const std::string &target, std::string *error) {
  static std::mutex mutex;
  static auto *cache = new std::map<std::string, OpenedDevice>();
  std::lock_guard<std::mutex> lock(mutex);
  auto found = cache->find(target);
  if (found == cache->end()) {
    OpenedDevice opened;
    Expected<std::unique_ptr<Device>> device = openDevice(target);
    if (device.isOk())
      opened.device = device.take();
    else
      opened.error = device.status().message();
    found = cache->emplace(target, std::move(opened)).first;
  }
  *error = found->second.error;
  return found->second.device.get();
}

template <slimtune_kernel_id Id>
std::string labelOf(const std::string &target, const std::string &shape) {
  return cat(kernels::AbiKernel<Id>::name, " on ", target, " [", shape, "]");
}

// Workspace floats: the most any backend states for the call (the backends' sizes agree).
inline int64_t loraWork(int64_t n, int64_t in, int64_t r, float p) {
  return std::max(slimtune_cpu_lora_work(n, in, r, p), slimtune_cuda_lora_work(n, in, r, p));
}
inline int64_t loraGradWork(int64_t n, int64_t in, int64_t r, float p) {
  return std::max(slimtune_cpu_lora_grad_work(n, in, r, p),
                  slimtune_cuda_lora_grad_work(n, in, r, p));
}
inline int64_t linearBf16Work(int64_t n, int64_t in, int64_t out) {
  return std::max(slimtune_cpu_linear_bf16_work(n, in, out),
                  slimtune_cuda_linear_bf16_work(n, in, out));
}
inline int64_t sampledLinearGradWork(int64_t n, int64_t in, int64_t out, int64_t k, int64_t r) {
  return std::max(slimtune_cpu_sampled_linear_grad_work(n, in, out, k, r),
                  slimtune_cuda_sampled_linear_grad_work(n, in, out, k, r));
}
inline int64_t attentionWork(int64_t b, int64_t t, int64_t h) {
  return std::max(slimtune_cpu_attention_work(b, t, h), slimtune_cuda_attention_work(b, t, h));
}
inline int64_t attentionGradWork(int64_t b, int64_t t, int64_t h) {
  return std::max(slimtune_cpu_attention_grad_work(b, t, h),
                  slimtune_cuda_attention_grad_work(b, t, h));
}

class DeviceKernels : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    std::string error;
    device_ = deviceFor(GetParam(), &error);
    // Skipped where the device is missing (CI has no GPU), except where it must be there:
    // scripts/gpu_check.sh sets SLIMTUNE_REQUIRE_DEVICES=cuda, so that a GPU machine whose
    // device does not open fails instead of passing with nothing run.
    const char *required = std::getenv("SLIMTUNE_REQUIRE_DEVICES");
    if (!device_ && required && ("," + std::string(required) + ",").find("," + GetParam() + ",") !=
                                    std::string::npos)
      FAIL() << "cannot open device \"" << GetParam() << "\" (SLIMTUNE_REQUIRE_DEVICES): " << error;
    if (!device_)
      GTEST_SKIP() << "cannot open device \"" << GetParam() << "\": " << error;
  }

  Device &device() { return *device_; }
  const std::string &target() const { return GetParam(); }
  template <slimtune_kernel_id Id> std::string label(const std::string &shape) const {
    return labelOf<Id>(target(), shape);
  }

  // Kernel Id from the device's table with its context; then synchronize(). Both must succeed.
  template <slimtune_kernel_id Id, typename... Args>
  void onDevice(const std::string &label, Args... args) {
    auto kernel = reinterpret_cast<kernels::AbiFunction<Id>>(device_->kernels()[Id]);
    const int32_t status = kernel(device_->kernelContext(), args...);
    EXPECT_EQ(status, SLIMTUNE_KERNEL_OK)
        << label << ": " << device_->kernelFailure(Id, status).message();
    Status synced = device_->synchronize();
    EXPECT_TRUE(synced.isOk()) << label << ": synchronize: " << synced.message();
  }

  // Kernel Id's plain CPU reference on host memory.
  template <slimtune_kernel_id Id, typename... Args>
  void onHost(const std::string &label, Args... args) {
    auto kernel = reinterpret_cast<kernels::AbiFunction<Id>>(cpu::referenceKernelTable()[Id]);
    EXPECT_EQ(kernel(nullptr, args...), SLIMTUNE_KERNEL_OK) << label << ": the reference failed";
  }

private:
  Device *device_ = nullptr;
};

//===-- Shapes more than one file uses ----------------------------------------------------===//

// Rows of c channels (norms, sum_rows).
struct RowShape {
  int64_t n, c;
};
inline constexpr RowShape kRowShapes[] = {{1, 1}, {7, 100}, {300, 777}};

// Element counts (activations, add and mul, sum_squares, adamw).
inline constexpr int64_t kElementCounts[] = {1, 777, 300 * 777 + 5};

} // namespace slimtune::testing

#endif // SLIMTUNE_TEST_UNIT_KERNELS_DEVICE_KERNEL_TEST_H
