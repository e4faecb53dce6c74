// Every kernel of SLIMTUNE_KERNELS run on a Device (slimtune/device.h), on device memory,
// against the CPU's plain reference (cpu::referenceKernelTable()) on the same inputs on the
// host. The path is the one a step takes: inputs copied in through the device, the kernel
// taken from device->kernels() and called with device->kernelContext(), its status
// SLIMTUNE_KERNEL_OK, device->synchronize() ok, outputs copied out.
//
// Parameterized over the target: "cpu" checks the CPU device's fast kernels through exactly
// this path (so the harness runs, and can fail, everywhere); "cuda" skips each test, with
// openDevice's error, where no CUDA device can be opened. Each device is opened once per
// process.
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
#include "kernels/common/bf16.h"
#include "kernels/common/counter_random.h"
#include "kernels/cpu/cross_entropy_reference.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/rope_reference.h"
#include "kernels/cpu/workspace.h"
#include "kernels/cuda/workspace.h"
#include "kernels/device_buffers.h"
#include "kernels/kernel_signature.h"
#include "slimtune/device.h"
#include "slimtune/kernel_abi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace slimtune::testing {
namespace {

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

std::vector<float> absolute(const std::vector<float> &v) {
  std::vector<float> a(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    a[i] = std::fabs(v[i]);
  return a;
}

std::vector<double> toDoubles(const std::vector<float> &v) { return {v.begin(), v.end()}; }

// bf16 bit patterns of v, rounded to nearest even; and |b| of bf16 values (the sign bit
// cleared: |bf16(v)| = bf16(|v|)).
std::vector<uint16_t> toBf16(const std::vector<float> &v) {
  std::vector<uint16_t> b(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    b[i] = common::f32ToBf16Bits(v[i]);
  return b;
}
std::vector<uint16_t> absoluteBf16(const std::vector<uint16_t> &b) {
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

constexpr double kRelative = 1e-5;

// The rule of the header: |got_i - ref_i| <= rtol * max(|ref_i|, 1e-3 * max|ref|, magnitude_i)
// (magnitude empty: none). rtol 0 demands equality. Reports the number of failing elements and
// the worst one (largest error over its allowance).
void expectClose(const std::string &label, const char *output, const std::vector<float> &got,
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

void expectEqualBytes(const std::string &label, const char *output, const std::vector<uint8_t> &got,
                      const std::vector<uint8_t> &ref) {
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
void expectCloseF64(const std::string &label, const char *output, double got, double ref,
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
void expectSameStash(const std::string &label, const std::vector<uint8_t> &got,
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
Device *deviceFor(const std::string &target, std::string *error) {
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
int64_t loraWork(int64_t n, int64_t in, int64_t r, float p) {
  return std::max(slimtune_cpu_lora_work(n, in, r, p), slimtune_cuda_lora_work(n, in, r, p));
}
int64_t loraGradWork(int64_t n, int64_t in, int64_t r, float p) {
  return std::max(slimtune_cpu_lora_grad_work(n, in, r, p),
                  slimtune_cuda_lora_grad_work(n, in, r, p));
}
int64_t linearBf16Work(int64_t n, int64_t in) {
  return std::max(slimtune_cpu_linear_bf16_work(n, in), slimtune_cuda_linear_bf16_work(n, in));
}
int64_t attentionWork(int64_t b, int64_t t, int64_t h) {
  return std::max(slimtune_cpu_attention_work(b, t, h), slimtune_cuda_attention_work(b, t, h));
}
int64_t attentionGradWork(int64_t b, int64_t t, int64_t h) {
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

INSTANTIATE_TEST_SUITE_P(Targets, DeviceKernels, ::testing::Values("cpu", "cuda"),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           return info.param;
                         });

//===-- Embeddings and copies (exact) -----------------------------------------------------===//

TEST_P(DeviceKernels, Embedding) {
  Rng rng(1);
  struct Shape {
    int64_t n, c, vocab;
  };
  for (Shape s : {Shape{1, 1, 1}, Shape{37, 64, 50}, Shape{300, 777, 1000}}) {
    const std::string l =
        label<SLIMTUNE_KERNEL_EMBEDDING>(cat("n ", s.n, " c ", s.c, " vocab ", s.vocab));
    std::vector<float> table = rng.uniform(s.vocab * s.c);
    std::vector<int32_t> ids = rng.ints(s.n, 0, static_cast<int32_t>(s.vocab));
    DeviceBuffers d(device());
    float *out = d.filled(s.n * s.c, -7.0f);
    const float *dTable = d.upload(table);
    const int32_t *dIds = d.upload(ids);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_EMBEDDING>(l, out, dTable, dIds, s.n, s.c, s.vocab);
    std::vector<float> ref(s.n * s.c);
    onHost<SLIMTUNE_KERNEL_EMBEDDING>(l, ref.data(), table.data(), ids.data(), s.n, s.c, s.vocab);
    expectClose(l, "out", d.download(out, ref.size()), ref, {}, 0.0);
  }
}

TEST_P(DeviceKernels, PositionEmbedding) {
  Rng rng(2);
  struct Shape {
    int64_t b, t, c;
  };
  for (Shape s : {Shape{1, 1, 1}, Shape{2, 33, 64}, Shape{3, 100, 777}}) {
    const std::string l =
        label<SLIMTUNE_KERNEL_POSITION_EMBEDDING>(cat("b ", s.b, " t ", s.t, " c ", s.c));
    std::vector<float> table = rng.uniform(s.t * s.c);
    DeviceBuffers d(device());
    float *out = d.filled(s.b * s.t * s.c, -7.0f);
    const float *dTable = d.upload(table);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_POSITION_EMBEDDING>(l, out, dTable, s.b, s.t, s.c);
    std::vector<float> ref(s.b * s.t * s.c);
    onHost<SLIMTUNE_KERNEL_POSITION_EMBEDDING>(l, ref.data(), table.data(), s.b, s.t, s.c);
    expectClose(l, "out", d.download(out, ref.size()), ref, {}, 0.0);
  }
}

// A bf16 table widened exactly: random rows, and one row of the values a conversion could get
// wrong (signed zeros, subnormals, the largest finite value, infinities, NaNs).
TEST_P(DeviceKernels, EmbeddingBf16) {
  Rng rng(40);
  struct Shape {
    int64_t n, c, vocab;
  };
  const std::vector<uint16_t> specials = {0x0000, 0x8000, 0x0001, 0x807f, 0x7f7f, 0xff7f,
                                          0x7f80, 0xff80, 0x7fc0, 0xffc1, 0x3f80, 0x0080};
  for (Shape s : {Shape{1, 1, 1}, Shape{37, 64, 50}, Shape{300, 777, 1000}}) {
    const std::string l =
        label<SLIMTUNE_KERNEL_EMBEDDING_BF16>(cat("n ", s.n, " c ", s.c, " vocab ", s.vocab));
    std::vector<uint16_t> table = toBf16(rng.uniform(s.vocab * s.c, -3.0f, 3.0f));
    for (size_t j = 0; j < specials.size() && j < table.size(); ++j)
      table[j] = specials[j]; // row 0
    std::vector<int32_t> ids = rng.ints(s.n, 0, static_cast<int32_t>(s.vocab));
    ids[0] = 0;
    DeviceBuffers d(device());
    float *out = d.filled(s.n * s.c, -7.0f);
    const uint16_t *dTable = d.upload(table);
    const int32_t *dIds = d.upload(ids);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_EMBEDDING_BF16>(l, out, dTable, dIds, s.n, s.c, s.vocab);
    std::vector<float> ref(s.n * s.c);
    onHost<SLIMTUNE_KERNEL_EMBEDDING_BF16>(l, ref.data(), table.data(), ids.data(), s.n, s.c,
                                           s.vocab);
    expectClose(l, "out", d.download(out, ref.size()), ref, {}, 0.0); // bitwise, NaNs included
  }
}

TEST_P(DeviceKernels, CopyColumns) {
  Rng rng(3);
  struct Shape {
    int64_t rows, srcCols, dstCols, srcOffset, dstOffset, width;
  };
  for (Shape s : {Shape{1, 1, 1, 0, 0, 1}, Shape{5, 10, 3, 7, 2, 1},
                  Shape{300, 777, 1000, 13, 200, 500}, Shape{257, 64, 192, 0, 128, 64}}) {
    const std::string l = label<SLIMTUNE_KERNEL_COPY_COLUMNS>(
        cat("rows ", s.rows, " src ", s.srcCols, "@", s.srcOffset, " dst ", s.dstCols, "@",
            s.dstOffset, " width ", s.width));
    std::vector<float> src = rng.uniform(s.rows * s.srcCols);
    std::vector<float> ref = rng.uniform(s.rows * s.dstCols); // columns outside stay as they are
    DeviceBuffers d(device());
    float *dst = d.upload(ref);
    const float *dSrc = d.upload(src);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_COPY_COLUMNS>(l, dst, dSrc, s.rows, s.srcCols, s.dstCols, s.srcOffset,
                                           s.dstOffset, s.width);
    onHost<SLIMTUNE_KERNEL_COPY_COLUMNS>(l, ref.data(), src.data(), s.rows, s.srcCols, s.dstCols,
                                         s.srcOffset, s.dstOffset, s.width);
    expectClose(l, "dst", d.download(dst, ref.size()), ref, {}, 0.0);
  }
}

// fill_zero zeroes exactly `bytes` bytes: the bytes after them keep their value.
TEST_P(DeviceKernels, FillZero) {
  for (int64_t bytes :
       {int64_t{1}, int64_t{7}, int64_t{1001}, int64_t{4096 + 3}, int64_t{1 << 20} + 5}) {
    const std::string l = label<SLIMTUNE_KERNEL_FILL_ZERO>(cat("bytes ", bytes));
    std::vector<uint8_t> ref(bytes + 67, 0xA5);
    DeviceBuffers d(device());
    uint8_t *y = d.upload(ref);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_FILL_ZERO>(l, y, bytes);
    onHost<SLIMTUNE_KERNEL_FILL_ZERO>(l, ref.data(), bytes);
    expectEqualBytes(l, "y", d.download(y, ref.size()), ref);
  }
}

//===-- Norms -----------------------------------------------------------------------------===//

struct RowShape {
  int64_t n, c;
};
const RowShape kRowShapes[] = {{1, 1}, {7, 100}, {300, 777}};

TEST_P(DeviceKernels, RmsNorm) {
  Rng rng(4);
  for (RowShape s : kRowShapes)
    for (bool withScale : {false, true}) {
      const std::string l = label<SLIMTUNE_KERNEL_RMS_NORM>(
          cat("n ", s.n, " c ", s.c, withScale ? " scale" : " no scale"));
      std::vector<float> x = rng.uniform(s.n * s.c, -2, 2), scale = rng.uniform(s.c, 0.5f, 1.5f);
      DeviceBuffers d(device());
      float *y = d.filled(s.n * s.c, 0.0f);
      const float *dx = d.upload(x), *dScale = withScale ? d.upload(scale) : nullptr;
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_RMS_NORM>(l, y, dx, dScale, s.n, s.c, 1e-5f);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_RMS_NORM>(l, ref.data(), x.data(), withScale ? scale.data() : nullptr,
                                       s.n, s.c, 1e-5f);
      expectClose(l, "y", d.download(y, ref.size()), ref); // a product: no cancellation
    }
}

// Per row: r = 1 / sqrt(mean(x^2) + eps) in double, mean|x|.
struct RowStats {
  double r, meanAbs, mean;
};
RowStats rowStats(const float *x, int64_t c, bool centered, double eps) {
  double sum = 0, sumAbs = 0;
  for (int64_t j = 0; j < c; ++j)
    sum += x[j], sumAbs += std::fabs(x[j]);
  const double mean = centered ? sum / c : 0.0;
  double squares = 0;
  for (int64_t j = 0; j < c; ++j)
    squares += (x[j] - mean) * (x[j] - mean);
  return {1.0 / std::sqrt(squares / c + eps), sumAbs / c, mean};
}

TEST_P(DeviceKernels, RmsNormGrad) {
  Rng rng(5);
  for (RowShape s : kRowShapes)
    for (bool withScale : {false, true}) {
      const std::string l = label<SLIMTUNE_KERNEL_RMS_NORM_GRAD>(
          cat("n ", s.n, " c ", s.c, withScale ? " scale" : " no scale"));
      std::vector<float> x = rng.uniform(s.n * s.c, -2, 2), dy = rng.uniform(s.n * s.c),
                         scale = rng.uniform(s.c, 0.5f, 1.5f);
      DeviceBuffers d(device());
      float *dx = d.filled(s.n * s.c, 0.0f);
      const float *dDy = d.upload(dy), *dX = d.upload(x),
                  *dScale = withScale ? d.upload(scale) : nullptr;
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_RMS_NORM_GRAD>(l, dx, dDy, dX, dScale, s.n, s.c, 1e-5f);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_RMS_NORM_GRAD>(l, ref.data(), dy.data(), x.data(),
                                            withScale ? scale.data() : nullptr, s.n, s.c, 1e-5f);
      // dx = r g - (r^3 / c) x sum(g x): magnitude r |g| + (r^3 / c) |x| sum|g x|.
      std::vector<double> magnitude(ref.size());
      for (int64_t i = 0; i < s.n; ++i) {
        const RowStats st = rowStats(&x[i * s.c], s.c, false, 1e-5);
        double gx = 0;
        for (int64_t j = 0; j < s.c; ++j)
          gx += std::fabs(dy[i * s.c + j] * (withScale ? scale[j] : 1.0f) * x[i * s.c + j]);
        for (int64_t j = 0; j < s.c; ++j)
          magnitude[i * s.c + j] =
              st.r * std::fabs(dy[i * s.c + j] * (withScale ? scale[j] : 1.0f)) +
              st.r * st.r * st.r / s.c * std::fabs(x[i * s.c + j]) * gx;
      }
      expectClose(l, "dx", d.download(dx, ref.size()), ref, magnitude);
    }
}

// (x - mean) r s + shift: magnitude (|x| + mean|x|) r |s| + |shift| (the mean's error is
// relative to mean|x|, not to |mean|).
TEST_P(DeviceKernels, LayerNorm) {
  Rng rng(6);
  for (RowShape s : kRowShapes)
    for (bool affine : {false, true}) {
      const std::string l = label<SLIMTUNE_KERNEL_LAYER_NORM>(
          cat("n ", s.n, " c ", s.c, affine ? " scale+shift" : " plain"));
      std::vector<float> x = rng.uniform(s.n * s.c, -1.5f, 2.5f),
                         scale = rng.uniform(s.c, 0.5f, 1.5f), shift = rng.uniform(s.c);
      DeviceBuffers d(device());
      float *y = d.filled(s.n * s.c, 0.0f);
      const float *dX = d.upload(x), *dScale = affine ? d.upload(scale) : nullptr,
                  *dShift = affine ? d.upload(shift) : nullptr;
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_LAYER_NORM>(l, y, dX, dScale, dShift, s.n, s.c, 1e-5f);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_LAYER_NORM>(l, ref.data(), x.data(), affine ? scale.data() : nullptr,
                                         affine ? shift.data() : nullptr, s.n, s.c, 1e-5f);
      std::vector<double> magnitude(ref.size());
      for (int64_t i = 0; i < s.n; ++i) {
        const RowStats st = rowStats(&x[i * s.c], s.c, true, 1e-5);
        for (int64_t j = 0; j < s.c; ++j)
          magnitude[i * s.c + j] = (std::fabs(x[i * s.c + j]) + st.meanAbs) * st.r *
                                       (affine ? std::fabs(scale[j]) : 1.0) +
                                   (affine ? std::fabs(shift[j]) : 0.0);
      }
      expectClose(l, "y", d.download(y, ref.size()), ref, magnitude);
    }
}

// dx = r (g - mean(g) - xhat mean(g xhat)): magnitude r (|g| + mean|g| + |xhat| mean|g xhat|),
// with |xhat| = (|x| + mean|x|) r.
TEST_P(DeviceKernels, LayerNormGrad) {
  Rng rng(7);
  for (RowShape s : kRowShapes)
    for (bool withScale : {false, true}) {
      const std::string l = label<SLIMTUNE_KERNEL_LAYER_NORM_GRAD>(
          cat("n ", s.n, " c ", s.c, withScale ? " scale" : " no scale"));
      std::vector<float> x = rng.uniform(s.n * s.c, -1.5f, 2.5f), dy = rng.uniform(s.n * s.c),
                         scale = rng.uniform(s.c, 0.5f, 1.5f);
      DeviceBuffers d(device());
      float *dx = d.filled(s.n * s.c, 0.0f);
      const float *dDy = d.upload(dy), *dX = d.upload(x),
                  *dScale = withScale ? d.upload(scale) : nullptr;
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_LAYER_NORM_GRAD>(l, dx, dDy, dX, dScale, s.n, s.c, 1e-5f);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_LAYER_NORM_GRAD>(l, ref.data(), dy.data(), x.data(),
                                              withScale ? scale.data() : nullptr, s.n, s.c, 1e-5f);
      std::vector<double> magnitude(ref.size());
      for (int64_t i = 0; i < s.n; ++i) {
        const RowStats st = rowStats(&x[i * s.c], s.c, true, 1e-5);
        double meanG = 0, meanGXhat = 0;
        for (int64_t j = 0; j < s.c; ++j) {
          const double g = std::fabs(dy[i * s.c + j] * (withScale ? scale[j] : 1.0f));
          meanG += g / s.c;
          meanGXhat += g * (std::fabs(x[i * s.c + j]) + st.meanAbs) * st.r / s.c;
        }
        for (int64_t j = 0; j < s.c; ++j) {
          const double g = std::fabs(dy[i * s.c + j] * (withScale ? scale[j] : 1.0f));
          magnitude[i * s.c + j] =
              st.r * (g + meanG + (std::fabs(x[i * s.c + j]) + st.meanAbs) * st.r * meanGXhat);
        }
      }
      expectClose(l, "dx", d.download(dx, ref.size()), ref, magnitude);
    }
}

TEST_P(DeviceKernels, Normalize) {
  Rng rng(8);
  for (RowShape s : kRowShapes)
    for (int32_t kind : {0, 1}) {
      const std::string l =
          label<SLIMTUNE_KERNEL_NORMALIZE>(cat("n ", s.n, " c ", s.c, " kind ", kind));
      std::vector<float> x = rng.uniform(s.n * s.c, -1.5f, 2.5f);
      DeviceBuffers d(device());
      float *z = d.filled(s.n * s.c, 0.0f), *rstd = d.filled(s.n, 0.0f);
      const float *dX = d.upload(x);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_NORMALIZE>(l, z, rstd, dX, s.n, s.c, 1e-5f, kind);
      std::vector<float> zRef(s.n * s.c), rstdRef(s.n);
      onHost<SLIMTUNE_KERNEL_NORMALIZE>(l, zRef.data(), rstdRef.data(), x.data(), s.n, s.c, 1e-5f,
                                        kind);
      std::vector<double> magnitude(zRef.size()); // as layer_norm's; a product for rms
      for (int64_t i = 0; i < s.n; ++i) {
        const RowStats st = rowStats(&x[i * s.c], s.c, kind == 1, 1e-5);
        for (int64_t j = 0; j < s.c; ++j)
          magnitude[i * s.c + j] =
              (std::fabs(x[i * s.c + j]) + (kind == 1 ? st.meanAbs : 0.0)) * st.r;
      }
      expectClose(l, "z", d.download(z, zRef.size()), zRef, magnitude);
      expectClose(l, "rstd", d.download(rstd, rstdRef.size()), rstdRef);
    }
}

// dx = rstd (g - [mean(g)] - z mean(g z)): magnitude rstd (|g| + [mean|g|] + |z| mean|g z|).
TEST_P(DeviceKernels, NormalizeGrad) {
  Rng rng(9);
  for (RowShape s : kRowShapes)
    for (int32_t kind : {0, 1}) {
      const std::string l =
          label<SLIMTUNE_KERNEL_NORMALIZE_GRAD>(cat("n ", s.n, " c ", s.c, " kind ", kind));
      std::vector<float> x = rng.uniform(s.n * s.c, -1.5f, 2.5f), dz = rng.uniform(s.n * s.c);
      std::vector<float> z(s.n * s.c), rstd(s.n);
      onHost<SLIMTUNE_KERNEL_NORMALIZE>(l, z.data(), rstd.data(), x.data(), s.n, s.c, 1e-5f, kind);
      DeviceBuffers d(device());
      float *dx = d.filled(s.n * s.c, 0.0f);
      const float *dDz = d.upload(dz), *dZ = d.upload(z), *dRstd = d.upload(rstd);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_NORMALIZE_GRAD>(l, dx, dDz, dZ, dRstd, s.n, s.c, kind);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_NORMALIZE_GRAD>(l, ref.data(), dz.data(), z.data(), rstd.data(), s.n,
                                             s.c, kind);
      std::vector<double> magnitude(ref.size());
      for (int64_t i = 0; i < s.n; ++i) {
        double meanG = 0, meanGZ = 0;
        for (int64_t j = 0; j < s.c; ++j) {
          meanG += std::fabs(dz[i * s.c + j]) / s.c;
          meanGZ += std::fabs(dz[i * s.c + j] * z[i * s.c + j]) / s.c;
        }
        for (int64_t j = 0; j < s.c; ++j)
          magnitude[i * s.c + j] =
              rstd[i] * (std::fabs(dz[i * s.c + j]) + (kind == 1 ? meanG : 0.0) +
                         std::fabs(z[i * s.c + j]) * meanGZ);
      }
      expectClose(l, "dx", d.download(dx, ref.size()), ref, magnitude);
    }
}

// y = x scale + shift; y may alias x. Magnitude |x scale| + |shift|.
TEST_P(DeviceKernels, ScaleShift) {
  Rng rng(10);
  for (RowShape s : kRowShapes)
    for (bool withShift : {false, true})
      for (bool alias : {false, true}) {
        const std::string l = label<SLIMTUNE_KERNEL_SCALE_SHIFT>(
            cat("n ", s.n, " c ", s.c, withShift ? " shift" : " no shift", alias ? " y=x" : ""));
        std::vector<float> x = rng.uniform(s.n * s.c), scale = rng.uniform(s.c),
                           shift = rng.uniform(s.c);
        DeviceBuffers d(device());
        float *dX = d.upload(x);
        float *y = alias ? dX : d.filled(s.n * s.c, 0.0f);
        const float *dScale = d.upload(scale), *dShift = withShift ? d.upload(shift) : nullptr;
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_SCALE_SHIFT>(l, y, dX, dScale, dShift, s.n, s.c);
        std::vector<float> ref = x;
        float *refY = alias ? ref.data() : nullptr;
        std::vector<float> separate(s.n * s.c);
        if (!alias)
          refY = separate.data();
        onHost<SLIMTUNE_KERNEL_SCALE_SHIFT>(l, refY, ref.data(), scale.data(),
                                            withShift ? shift.data() : nullptr, s.n, s.c);
        std::vector<float> want(refY, refY + s.n * s.c);
        std::vector<double> magnitude(want.size());
        for (int64_t i = 0; i < s.n; ++i)
          for (int64_t j = 0; j < s.c; ++j)
            magnitude[i * s.c + j] =
                std::fabs(x[i * s.c + j] * scale[j]) + (withShift ? std::fabs(shift[j]) : 0.0);
        expectClose(l, "y", d.download(y, want.size()), want, magnitude);
      }
}

//===-- Linear layers and LoRA: magnitudes from the reference on |inputs| -----------------===//

struct GemmShape {
  int64_t n, in, out;
};
const GemmShape kGemmShapes[] = {{1, 1, 1}, {33, 64, 257}, {300, 777, 130}};

TEST_P(DeviceKernels, Linear) {
  Rng rng(11);
  for (GemmShape s : kGemmShapes)
    for (int32_t layout : {0, 1})
      for (bool withBias : {false, true}) {
        const std::string l =
            label<SLIMTUNE_KERNEL_LINEAR>(cat("n ", s.n, " in ", s.in, " out ", s.out, " layout ",
                                              layout, withBias ? " bias" : " no bias"));
        std::vector<float> x = rng.uniform(s.n * s.in), w = rng.uniform(s.in * s.out),
                           b = rng.uniform(s.out);
        DeviceBuffers d(device());
        float *y = d.filled(s.n * s.out, 0.0f);
        const float *dX = d.upload(x), *dW = d.upload(w), *dB = withBias ? d.upload(b) : nullptr;
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_LINEAR>(l, y, dX, dW, dB, s.n, s.in, s.out, layout);
        std::vector<float> ref(s.n * s.out), magnitude(ref.size());
        onHost<SLIMTUNE_KERNEL_LINEAR>(l, ref.data(), x.data(), w.data(),
                                       withBias ? b.data() : nullptr, s.n, s.in, s.out, layout);
        const std::vector<float> ax = absolute(x), aw = absolute(w), ab = absolute(b);
        onHost<SLIMTUNE_KERNEL_LINEAR>(l, magnitude.data(), ax.data(), aw.data(),
                                       withBias ? ab.data() : nullptr, s.n, s.in, s.out, layout);
        expectClose(l, "y", d.download(y, ref.size()), ref, toDoubles(magnitude));
      }
}

// bf16 weights: the kernel rounds x to bf16 and sums exact products in fp32, as the reference
// does from the same inputs, so the fp32 rule applies, with the magnitude from the reference on
// |x|, |W|, |b| (bf16 rounding commutes with |.|). The workspace is the backends' size with
// guard floats after it, which the kernel must leave alone. Shapes add an odd n * in (the
// workspace's last bf16 is padding) and in = 0 (y = b).
TEST_P(DeviceKernels, LinearBf16) {
  Rng rng(41);
  constexpr int64_t kGuard = 16;
  constexpr float kGuardValue = -1234.5f;
  for (GemmShape s : {GemmShape{1, 1, 1}, GemmShape{3, 5, 9}, GemmShape{4, 0, 5},
                      GemmShape{33, 64, 257}, GemmShape{300, 777, 130}})
    for (int32_t layout : {0, 1})
      for (bool withBias : {false, true}) {
        const std::string l = label<SLIMTUNE_KERNEL_LINEAR_BF16>(cat(
            "n ", s.n, " in ", s.in, " out ", s.out, " layout ", layout,
            withBias ? " bias" : " no bias"));
        std::vector<float> x = rng.uniform(s.n * s.in, -2.0f, 2.0f), b = rng.uniform(s.out);
        std::vector<uint16_t> w = toBf16(rng.uniform(s.in * s.out));
        const int64_t workFloats = linearBf16Work(s.n, s.in);
        ASSERT_GE(workFloats * 2, s.n * s.in) << l;
        DeviceBuffers d(device());
        float *y = d.filled(s.n * s.out, -7.0f);
        float *work = d.filled(workFloats + kGuard, kGuardValue);
        const float *dX = d.upload(x), *dB = withBias ? d.upload(b) : nullptr;
        const uint16_t *dW = d.upload(w);
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_LINEAR_BF16>(l, y, dX, dW, dB, reinterpret_cast<uint16_t *>(work),
                                              s.n, s.in, s.out, layout);
        std::vector<float> ref(s.n * s.out), magnitude(ref.size());
        std::vector<uint16_t> hostWork(s.n * s.in + 1);
        onHost<SLIMTUNE_KERNEL_LINEAR_BF16>(l, ref.data(), x.data(), w.data(),
                                            withBias ? b.data() : nullptr, hostWork.data(), s.n,
                                            s.in, s.out, layout);
        const std::vector<float> ax = absolute(x), ab = absolute(b);
        const std::vector<uint16_t> aw = absoluteBf16(w);
        onHost<SLIMTUNE_KERNEL_LINEAR_BF16>(l, magnitude.data(), ax.data(), aw.data(),
                                            withBias ? ab.data() : nullptr, hostWork.data(), s.n,
                                            s.in, s.out, layout);
        expectClose(l, "y", d.download(y, ref.size()), ref, toDoubles(magnitude));
        const std::vector<float> after = d.download(work, workFloats + kGuard);
        expectClose(l, "the floats after the workspace",
                    std::vector<float>(after.begin() + workFloats, after.end()),
                    std::vector<float>(kGuard, kGuardValue), {}, 0.0);
      }
}

TEST_P(DeviceKernels, WeightGrad) {
  Rng rng(12);
  for (GemmShape s : kGemmShapes)
    for (int32_t layout : {0, 1}) {
      const std::string l = label<SLIMTUNE_KERNEL_WEIGHT_GRAD>(
          cat("n ", s.n, " in ", s.in, " out ", s.out, " layout ", layout));
      std::vector<float> dy = rng.uniform(s.n * s.out), x = rng.uniform(s.n * s.in);
      DeviceBuffers d(device());
      float *dw = d.filled(s.in * s.out, 3.0f);
      const float *dDy = d.upload(dy), *dX = d.upload(x);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_WEIGHT_GRAD>(l, dw, dDy, dX, s.n, s.in, s.out, layout);
      std::vector<float> ref(s.in * s.out), magnitude(ref.size());
      onHost<SLIMTUNE_KERNEL_WEIGHT_GRAD>(l, ref.data(), dy.data(), x.data(), s.n, s.in, s.out,
                                          layout);
      const std::vector<float> ady = absolute(dy), ax = absolute(x);
      onHost<SLIMTUNE_KERNEL_WEIGHT_GRAD>(l, magnitude.data(), ady.data(), ax.data(), s.n, s.in,
                                          s.out, layout);
      expectClose(l, "dw", d.download(dw, ref.size()), ref, toDoubles(magnitude));
    }
}

TEST_P(DeviceKernels, SumRows) {
  Rng rng(13);
  for (RowShape s : {RowShape{1, 1}, RowShape{1000, 3}, RowShape{300, 777}}) {
    const std::string l = label<SLIMTUNE_KERNEL_SUM_ROWS>(cat("n ", s.n, " c ", s.c));
    std::vector<float> dy = rng.uniform(s.n * s.c);
    DeviceBuffers d(device());
    float *db = d.filled(s.c, 3.0f);
    const float *dDy = d.upload(dy);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_SUM_ROWS>(l, db, dDy, s.n, s.c);
    std::vector<float> ref(s.c), magnitude(s.c);
    onHost<SLIMTUNE_KERNEL_SUM_ROWS>(l, ref.data(), dy.data(), s.n, s.c);
    const std::vector<float> ady = absolute(dy);
    onHost<SLIMTUNE_KERNEL_SUM_ROWS>(l, magnitude.data(), ady.data(), s.n, s.c);
    expectClose(l, "db", d.download(db, ref.size()), ref, toDoubles(magnitude));
  }
}

struct LoraShape {
  int64_t n, in, out, r;
};
const LoraShape kLoraShapes[] = {{1, 1, 1, 1}, {33, 64, 96, 16}, {300, 777, 257, 8}};

// lora on |x|, |a|, |b| with the same dropout mask (seed and step) bounds the terms of every
// output: the magnitudes.
TEST_P(DeviceKernels, Lora) {
  Rng rng(14);
  for (LoraShape s : kLoraShapes)
    for (float p : {0.0f, 0.1f}) {
      const std::string l = label<SLIMTUNE_KERNEL_LORA>(
          cat("n ", s.n, " in ", s.in, " out ", s.out, " r ", s.r, " p ", p));
      std::vector<float> x = rng.uniform(s.n * s.in), a = rng.uniform(s.r * s.in),
                         b = rng.uniform(s.out * s.r);
      const float scale = 2.0f;
      const int64_t seed = 1234;
      const int32_t step = 5;
      const int64_t work = loraWork(s.n, s.in, s.r, p);
      DeviceBuffers d(device());
      float *y = d.filled(s.n * s.out, 3.0f), *dWork = d.filled(work, 0.0f);
      const float *dX = d.upload(x), *dA = d.upload(a), *dB = d.upload(b);
      const int32_t *dStep = d.upload(std::vector<int32_t>{step});
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_LORA>(l, y, dX, dA, dB, dWork, s.n, s.in, s.out, s.r, scale, p, seed,
                                     dStep);
      std::vector<float> ref(s.n * s.out), magnitude(ref.size()), hostWork(work);
      onHost<SLIMTUNE_KERNEL_LORA>(l, ref.data(), x.data(), a.data(), b.data(), hostWork.data(),
                                   s.n, s.in, s.out, s.r, scale, p, seed, &step);
      const std::vector<float> ax = absolute(x), aa = absolute(a), ab = absolute(b);
      onHost<SLIMTUNE_KERNEL_LORA>(l, magnitude.data(), ax.data(), aa.data(), ab.data(),
                                   hostWork.data(), s.n, s.in, s.out, s.r, scale, p, seed, &step);
      expectClose(l, "y", d.download(y, ref.size()), ref, toDoubles(magnitude));
    }
}

TEST_P(DeviceKernels, LoraGrad) {
  Rng rng(15);
  for (LoraShape s : kLoraShapes)
    for (float p : {0.0f, 0.1f}) {
      const std::string l = label<SLIMTUNE_KERNEL_LORA_GRAD>(
          cat("n ", s.n, " in ", s.in, " out ", s.out, " r ", s.r, " p ", p));
      std::vector<float> dy = rng.uniform(s.n * s.out), x = rng.uniform(s.n * s.in),
                         a = rng.uniform(s.r * s.in), b = rng.uniform(s.out * s.r);
      const float scale = 0.5f;
      const int64_t seed = 99;
      const int32_t step = 12;
      const int64_t work = loraGradWork(s.n, s.in, s.r, p);
      DeviceBuffers d(device());
      float *dx = d.filled(s.n * s.in, 3.0f), *da = d.filled(s.r * s.in, 3.0f),
            *db = d.filled(s.out * s.r, 3.0f), *dWork = d.filled(work, 0.0f);
      const float *dDy = d.upload(dy), *dX = d.upload(x), *dA = d.upload(a), *dB = d.upload(b);
      const int32_t *dStep = d.upload(std::vector<int32_t>{step});
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_LORA_GRAD>(l, dx, da, db, dDy, dX, dA, dB, dWork, s.n, s.in, s.out,
                                          s.r, scale, p, seed, dStep);
      std::vector<float> dxRef(s.n * s.in), daRef(s.r * s.in), dbRef(s.out * s.r), hostWork(work);
      onHost<SLIMTUNE_KERNEL_LORA_GRAD>(l, dxRef.data(), daRef.data(), dbRef.data(), dy.data(),
                                        x.data(), a.data(), b.data(), hostWork.data(), s.n, s.in,
                                        s.out, s.r, scale, p, seed, &step);
      std::vector<float> dxMag(dxRef.size()), daMag(daRef.size()), dbMag(dbRef.size());
      const std::vector<float> ady = absolute(dy), ax = absolute(x), aa = absolute(a),
                               ab = absolute(b);
      onHost<SLIMTUNE_KERNEL_LORA_GRAD>(l, dxMag.data(), daMag.data(), dbMag.data(), ady.data(),
                                        ax.data(), aa.data(), ab.data(), hostWork.data(), s.n, s.in,
                                        s.out, s.r, scale, p, seed, &step);
      expectClose(l, "dx", d.download(dx, dxRef.size()), dxRef, toDoubles(dxMag));
      expectClose(l, "da", d.download(da, daRef.size()), daRef, toDoubles(daMag));
      expectClose(l, "db", d.download(db, dbRef.size()), dbRef, toDoubles(dbMag));
    }
}

// w2 = w + scale B A (or its transpose); w2 may alias w.
TEST_P(DeviceKernels, MergeLora) {
  Rng rng(16);
  for (LoraShape s : {LoraShape{0, 1, 1, 1}, LoraShape{0, 64, 257, 16}, LoraShape{0, 777, 300, 8}})
    for (int32_t layout : {0, 1})
      for (bool alias : {false, true}) {
        const std::string l = label<SLIMTUNE_KERNEL_MERGE_LORA>(
            cat("in ", s.in, " out ", s.out, " r ", s.r, " layout ", layout, alias ? " w2=w" : ""));
        std::vector<float> w = rng.uniform(s.in * s.out), a = rng.uniform(s.r * s.in),
                           b = rng.uniform(s.out * s.r);
        const float scale = 1.5f;
        DeviceBuffers d(device());
        float *dW = d.upload(w);
        float *w2 = alias ? dW : d.filled(w.size(), 3.0f);
        const float *dA = d.upload(a), *dB = d.upload(b);
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_MERGE_LORA>(l, w2, dW, dA, dB, s.in, s.out, s.r, scale, layout);
        std::vector<float> ref(w.size()), magnitude(w.size());
        onHost<SLIMTUNE_KERNEL_MERGE_LORA>(l, ref.data(), w.data(), a.data(), b.data(), s.in, s.out,
                                           s.r, scale, layout);
        const std::vector<float> aw = absolute(w), aa = absolute(a), ab = absolute(b);
        onHost<SLIMTUNE_KERNEL_MERGE_LORA>(l, magnitude.data(), aw.data(), aa.data(), ab.data(),
                                           s.in, s.out, s.r, scale, layout);
        expectClose(l, "w2", d.download(w2, ref.size()), ref, toDoubles(magnitude));
      }
}

//===-- RoPE and attention ----------------------------------------------------------------===//

// y1 = x1 cos - x2 sin, y2 = x2 cos + x1 sin: magnitude |x1 cos| + |x2 sin| (and the same for
// y2). y may alias x.
TEST_P(DeviceKernels, Rope) {
  Rng rng(17);
  struct Shape {
    int64_t b, t, channels, headDim;
  };
  for (Shape s :
       {Shape{1, 1, 2, 2}, Shape{2, 100, 256, 64}, Shape{1, 129, 160, 40}, Shape{1, 37, 256, 128}})
    for (int32_t inverse : {0, 1})
      for (bool alias : {false, true}) {
        const std::string l = label<SLIMTUNE_KERNEL_ROPE>(
            cat("b ", s.b, " t ", s.t, " channels ", s.channels, " head_dim ", s.headDim,
                " inverse ", inverse, alias ? " y=x" : ""));
        const float theta = 10000.0f;
        std::vector<float> x = rng.uniform(s.b * s.t * s.channels);
        DeviceBuffers d(device());
        float *dX = d.upload(x);
        float *y = alias ? dX : d.filled(x.size(), 3.0f);
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_ROPE>(l, y, dX, s.b, s.t, s.channels, s.headDim, theta, inverse);
        std::vector<float> ref = x;
        onHost<SLIMTUNE_KERNEL_ROPE>(l, ref.data(), ref.data(), s.b, s.t, s.channels, s.headDim,
                                     theta, inverse);
        std::vector<double> magnitude(x.size());
        const int64_t half = s.headDim / 2;
        for (int64_t bi = 0; bi < s.b; ++bi)
          for (int64_t ti = 0; ti < s.t; ++ti)
            for (int64_t h = 0; h < s.channels / s.headDim; ++h)
              for (int64_t i = 0; i < half; ++i) {
                const double angle = cpu::reference::ropeAngle(ti, i, s.headDim, theta);
                const int64_t at = (bi * s.t + ti) * s.channels + h * s.headDim + i;
                const double c = std::fabs(std::cos(angle)), sn = std::fabs(std::sin(angle));
                magnitude[at] = std::fabs(x[at]) * c + std::fabs(x[at + half]) * sn;
                magnitude[at + half] = std::fabs(x[at + half]) * c + std::fabs(x[at]) * sn;
              }
        expectClose(l, "y", d.download(y, ref.size()), ref, magnitude);
      }
}

struct AttentionShape {
  int64_t b, t, heads, kvHeads, headDim;
  std::string describe() const {
    return cat("b ", b, " t ", t, " heads ", heads, " kv ", kvHeads, " head_dim ", headDim);
  }
};
const AttentionShape kAttentionShapes[] = {{1, 1, 1, 1, 64},
                                           {2, 100, 4, 2, 64},
                                           {1, 37, 2, 2, 128},
                                           {1, 129, 4, 1, 40},
                                           {1, 200, 2, 1, 64}};

// The magnitudes of attention's outputs, in double from the inputs: with P the softmax of the
// scores s = scale q.k (recomputed in double) and |s| = scale |q|.|k|:
//   o: sum_j P_ij |v_j|;  lse: log sum_j exp(|s_ij|) (>= max |s| and log(i + 1));
//   dS_ij = P_ij (|dO_i|.|v_j| + |dO_i|.|o_i|) (dP and D, which cancel);
//   dq: scale sum_j dS_ij |k_j|; dk: scale sum_i dS_ij |q_i|; dv: sum_i P_ij |dO_i|.
struct AttentionMagnitudes {
  std::vector<double> o, lse, dq, dk, dv;
};
AttentionMagnitudes attentionMagnitudes(const AttentionShape &s, float scale,
                                        const std::vector<float> &q, const std::vector<float> &k,
                                        const std::vector<float> &v, const std::vector<float> &o,
                                        const std::vector<float> &dout) {
  const int64_t d = s.headDim, qStride = s.heads * d, kvStride = s.kvHeads * d;
  const int64_t group = s.heads / s.kvHeads;
  AttentionMagnitudes m;
  m.o.assign(q.size(), 0.0), m.lse.assign(s.b * s.heads * s.t, 0.0);
  m.dq.assign(q.size(), 0.0), m.dk.assign(k.size(), 0.0), m.dv.assign(v.size(), 0.0);
  std::vector<double> sc(s.t), absSc(s.t);
  for (int64_t bi = 0; bi < s.b; ++bi)
    for (int64_t h = 0; h < s.heads; ++h) {
      const int64_t g = h / group;
      for (int64_t i = 0; i < s.t; ++i) {
        const float *qi = &q[(bi * s.t + i) * qStride + h * d];
        double maximum = -HUGE_VAL, absMaximum = 0;
        for (int64_t j = 0; j <= i; ++j) {
          const float *kj = &k[(bi * s.t + j) * kvStride + g * d];
          double dot = 0, absDot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += double(qi[c]) * kj[c], absDot += std::fabs(double(qi[c]) * kj[c]);
          sc[j] = scale * dot, absSc[j] = std::fabs(scale) * absDot;
          maximum = std::max(maximum, sc[j]), absMaximum = std::max(absMaximum, absSc[j]);
        }
        double sum = 0, absSum = 0;
        for (int64_t j = 0; j <= i; ++j)
          sum += std::exp(sc[j] - maximum), absSum += std::exp(absSc[j] - absMaximum);
        const double lse = maximum + std::log(sum);
        m.lse[(bi * s.heads + h) * s.t + i] = absMaximum + std::log(absSum);
        const int64_t at = (bi * s.t + i) * qStride + h * d;
        double dOdotO = 0;
        for (int64_t c = 0; c < d; ++c)
          dOdotO += std::fabs(double(dout[at + c]) * o[at + c]);
        for (int64_t j = 0; j <= i; ++j) {
          const double pij = std::exp(sc[j] - lse);
          const int64_t kvAt = (bi * s.t + j) * kvStride + g * d;
          double dP = 0;
          for (int64_t c = 0; c < d; ++c) {
            m.o[at + c] += pij * std::fabs(v[kvAt + c]);
            m.dv[kvAt + c] += pij * std::fabs(dout[at + c]);
            dP += std::fabs(double(dout[at + c]) * v[kvAt + c]);
          }
          const double dS = pij * (dP + dOdotO);
          for (int64_t c = 0; c < d; ++c) {
            m.dq[at + c] += std::fabs(scale) * dS * std::fabs(k[kvAt + c]);
            m.dk[kvAt + c] += std::fabs(scale) * dS * std::fabs(q[at + c]);
          }
        }
      }
    }
  return m;
}

TEST_P(DeviceKernels, Attention) {
  Rng rng(18);
  for (const AttentionShape &s : kAttentionShapes) {
    const std::string l = label<SLIMTUNE_KERNEL_ATTENTION>(s.describe());
    const float scale = 1.0f / std::sqrt(static_cast<float>(s.headDim));
    std::vector<float> q = rng.uniform(s.b * s.t * s.heads * s.headDim, -2, 2),
                       k = rng.uniform(s.b * s.t * s.kvHeads * s.headDim, -2, 2),
                       v = rng.uniform(s.b * s.t * s.kvHeads * s.headDim);
    DeviceBuffers d(device());
    float *o = d.filled(q.size(), 3.0f), *lse = d.filled(s.b * s.heads * s.t, 3.0f),
          *work = d.filled(attentionWork(s.b, s.t, s.heads), 0.0f);
    const float *dQ = d.upload(q), *dK = d.upload(k), *dV = d.upload(v);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_ATTENTION>(l, o, lse, dQ, dK, dV, work, s.b, s.t, s.heads, s.kvHeads,
                                        s.headDim, scale);
    std::vector<float> oRef(q.size()), lseRef(s.b * s.heads * s.t);
    onHost<SLIMTUNE_KERNEL_ATTENTION>(l, oRef.data(), lseRef.data(), q.data(), k.data(), v.data(),
                                      nullptr, s.b, s.t, s.heads, s.kvHeads, s.headDim, scale);
    const AttentionMagnitudes m = attentionMagnitudes(s, scale, q, k, v, oRef, oRef);
    expectClose(l, "o", d.download(o, oRef.size()), oRef, m.o);
    expectClose(l, "lse", d.download(lse, lseRef.size()), lseRef, m.lse);
  }
}

TEST_P(DeviceKernels, AttentionGrad) {
  Rng rng(19);
  for (const AttentionShape &s : kAttentionShapes) {
    const std::string l = label<SLIMTUNE_KERNEL_ATTENTION_GRAD>(s.describe());
    const float scale = 1.0f / std::sqrt(static_cast<float>(s.headDim));
    std::vector<float> q = rng.uniform(s.b * s.t * s.heads * s.headDim, -2, 2),
                       k = rng.uniform(s.b * s.t * s.kvHeads * s.headDim, -2, 2),
                       v = rng.uniform(s.b * s.t * s.kvHeads * s.headDim),
                       dout = rng.uniform(q.size());
    std::vector<float> o(q.size()), lse(s.b * s.heads * s.t);
    onHost<SLIMTUNE_KERNEL_ATTENTION>(l, o.data(), lse.data(), q.data(), k.data(), v.data(),
                                      nullptr, s.b, s.t, s.heads, s.kvHeads, s.headDim, scale);
    DeviceBuffers d(device());
    float *dq = d.filled(q.size(), 3.0f), *dk = d.filled(k.size(), 3.0f),
          *dv = d.filled(v.size(), 3.0f),
          *work = d.filled(attentionGradWork(s.b, s.t, s.heads), 0.0f);
    const float *dQ = d.upload(q), *dK = d.upload(k), *dV = d.upload(v), *dO = d.upload(o),
                *dLse = d.upload(lse), *dDout = d.upload(dout);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_ATTENTION_GRAD>(l, dq, dk, dv, dQ, dK, dV, dO, dLse, dDout, work, s.b,
                                             s.t, s.heads, s.kvHeads, s.headDim, scale);
    std::vector<float> dqRef(q.size()), dkRef(k.size()), dvRef(v.size());
    onHost<SLIMTUNE_KERNEL_ATTENTION_GRAD>(l, dqRef.data(), dkRef.data(), dvRef.data(), q.data(),
                                           k.data(), v.data(), o.data(), lse.data(), dout.data(),
                                           nullptr, s.b, s.t, s.heads, s.kvHeads, s.headDim, scale);
    const AttentionMagnitudes m = attentionMagnitudes(s, scale, q, k, v, o, dout);
    expectClose(l, "dq", d.download(dq, dqRef.size()), dqRef, m.dq);
    expectClose(l, "dk", d.download(dk, dkRef.size()), dkRef, m.dk);
    expectClose(l, "dv", d.download(dv, dvRef.size()), dvRef, m.dv);
  }
}

//===-- Activations and elementwise -------------------------------------------------------===//

const int64_t kElementCounts[] = {1, 777, 300 * 777 + 5};

enum class Activation { Silu, SiluGrad, Gelu, GeluGrad };

// The terms each activation sums, in absolute value (x sigmoid(x) has none that cancel):
//   silu_grad = dy s (1 + x (1 - s)):         |dy| s (1 + |x| (1 + s))
//   gelu      = 0.5 x (1 + erf|tanh(..)):     0.5 |x| (1 + |erf|tanh|)
//   gelu_grad = dy (0.5 (1 + erf) + x pdf):   |dy| (0.5 (1 + |erf|) + |x| pdf)
//             tanh: dy (0.5 (1 + t) + 0.5 x (1 - t^2) dz): |dy| (0.5 (1 + |t|) + 0.5 |x| (1 + t^2)
//             |dz|)
double activationMagnitude(Activation kind, bool tanhForm, double x, double dy) {
  const double s = 1.0 / (1.0 + std::exp(-x));
  const double z = 0.7978845608028654 * (x + 0.044715 * x * x * x), t = std::tanh(z);
  const double e = std::erf(x * 0.7071067811865476);
  switch (kind) {
  case Activation::Silu:
    return 0.0;
  case Activation::SiluGrad:
    return std::fabs(dy) * s * (1 + std::fabs(x) * (1 + s));
  case Activation::Gelu:
    return 0.5 * std::fabs(x) * (1 + std::fabs(tanhForm ? t : e));
  case Activation::GeluGrad:
    if (tanhForm) {
      const double dz = 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);
      return std::fabs(dy) * (0.5 * (1 + std::fabs(t)) + 0.5 * std::fabs(x) * (1 + t * t) * dz);
    }
    return std::fabs(dy) *
           (0.5 * (1 + std::fabs(e)) + std::fabs(x) * 0.3989422804014327 * std::exp(-0.5 * x * x));
  }
  return 0.0;
}

TEST_P(DeviceKernels, Activations) {
  Rng rng(20);
  for (Activation kind :
       {Activation::Silu, Activation::SiluGrad, Activation::Gelu, Activation::GeluGrad})
    for (int32_t tanhForm : {0, 1}) {
      if ((kind == Activation::Silu || kind == Activation::SiluGrad) && tanhForm)
        continue;
      for (int64_t n : kElementCounts) {
        const std::string shape = cat("n ", n, tanhForm ? " tanh" : "");
        std::vector<float> x = rng.uniform(n, -8, 8), dy = rng.uniform(n);
        DeviceBuffers d(device());
        float *out = d.filled(n, 3.0f);
        const float *dX = d.upload(x), *dDy = d.upload(dy);
        ASSERT_TRUE(d.ok());
        std::vector<float> ref(n);
        std::string l;
        switch (kind) {
        case Activation::Silu:
          l = label<SLIMTUNE_KERNEL_SILU>(shape);
          onDevice<SLIMTUNE_KERNEL_SILU>(l, out, dX, n);
          onHost<SLIMTUNE_KERNEL_SILU>(l, ref.data(), x.data(), n);
          break;
        case Activation::SiluGrad:
          l = label<SLIMTUNE_KERNEL_SILU_GRAD>(shape);
          onDevice<SLIMTUNE_KERNEL_SILU_GRAD>(l, out, dDy, dX, n);
          onHost<SLIMTUNE_KERNEL_SILU_GRAD>(l, ref.data(), dy.data(), x.data(), n);
          break;
        case Activation::Gelu:
          l = label<SLIMTUNE_KERNEL_GELU>(shape);
          onDevice<SLIMTUNE_KERNEL_GELU>(l, out, dX, n, tanhForm);
          onHost<SLIMTUNE_KERNEL_GELU>(l, ref.data(), x.data(), n, tanhForm);
          break;
        case Activation::GeluGrad:
          l = label<SLIMTUNE_KERNEL_GELU_GRAD>(shape);
          onDevice<SLIMTUNE_KERNEL_GELU_GRAD>(l, out, dDy, dX, n, tanhForm);
          onHost<SLIMTUNE_KERNEL_GELU_GRAD>(l, ref.data(), dy.data(), x.data(), n, tanhForm);
          break;
        }
        std::vector<double> magnitude(n);
        for (int64_t i = 0; i < n; ++i)
          magnitude[i] = activationMagnitude(kind, tanhForm, x[i], dy[i]);
        expectClose(l, "y", d.download(out, ref.size()), ref, magnitude);
      }
    }
}

// Flags are compared byte for byte (unused bits included); the flagged gradient is a product.
TEST_P(DeviceKernels, ActivationFlagsAndGrad) {
  Rng rng(21);
  for (int32_t kind : {0, 1})
    for (int64_t n : {int64_t{1}, int64_t{5}, int64_t{777}, int64_t{300 * 777 + 3}}) {
      const std::string flagsLabel =
          label<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(cat("n ", n, " kind ", kind));
      const std::string gradLabel =
          label<SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS>(cat("n ", n, " kind ", kind));
      std::vector<float> x = rng.uniform(n, -6, 6), dy = rng.uniform(n);
      const int64_t bytes = (n + 3) / 4;
      DeviceBuffers d(device());
      uint8_t *flags = d.filled<uint8_t>(bytes, 0xFF);
      float *dx = d.filled(n, 3.0f);
      const float *dX = d.upload(x), *dDy = d.upload(dy);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(flagsLabel, flags, dX, n, kind);
      std::vector<uint8_t> flagsRef(bytes, 0xFF);
      onHost<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(flagsLabel, flagsRef.data(), x.data(), n, kind);
      expectEqualBytes(flagsLabel, "flags", d.download(flags, bytes), flagsRef);
      // The gradient from the reference's flags on both sides.
      const uint8_t *dFlags = d.upload(flagsRef);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS>(gradLabel, dx, dDy, dFlags, n, kind);
      std::vector<float> ref(n);
      onHost<SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS>(gradLabel, ref.data(), dy.data(),
                                                    flagsRef.data(), n, kind);
      expectClose(gradLabel, "dx", d.download(dx, ref.size()), ref);
    }
}

// y = a + b (magnitude |a| + |b|) and y = a b; y separate, aliasing a, or aliasing b.
TEST_P(DeviceKernels, AddAndMul) {
  Rng rng(22);
  for (bool isAdd : {true, false})
    for (int64_t n : kElementCounts)
      for (int aliasing : {0, 1, 2}) {
        const std::string shape = cat("n ", n,
                                      aliasing == 1   ? " y=a"
                                      : aliasing == 2 ? " y=b"
                                                      : "");
        const std::string l =
            isAdd ? label<SLIMTUNE_KERNEL_ADD>(shape) : label<SLIMTUNE_KERNEL_MUL>(shape);
        std::vector<float> a = rng.uniform(n, -3, 3), b = rng.uniform(n, -3, 3);
        DeviceBuffers d(device());
        float *dA = d.upload(a), *dB = d.upload(b);
        float *y = aliasing == 1 ? dA : aliasing == 2 ? dB : d.filled(n, 7.0f);
        ASSERT_TRUE(d.ok());
        std::vector<float> ha = a, hb = b, hy(n, 7.0f);
        float *refY = aliasing == 1 ? ha.data() : aliasing == 2 ? hb.data() : hy.data();
        if (isAdd) {
          onDevice<SLIMTUNE_KERNEL_ADD>(l, y, dA, dB, n);
          onHost<SLIMTUNE_KERNEL_ADD>(l, refY, ha.data(), hb.data(), n);
        } else {
          onDevice<SLIMTUNE_KERNEL_MUL>(l, y, dA, dB, n);
          onHost<SLIMTUNE_KERNEL_MUL>(l, refY, ha.data(), hb.data(), n);
        }
        std::vector<float> ref(refY, refY + n);
        std::vector<double> magnitude;
        if (isAdd) {
          magnitude.resize(n);
          for (int64_t i = 0; i < n; ++i)
            magnitude[i] = std::fabs(a[i]) + std::fabs(b[i]);
        }
        expectClose(l, "y", d.download(y, n), ref, magnitude);
      }
}

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

//===-- Loss and optimizer ----------------------------------------------------------------===//

// Some rows at the ignore index (or all of them); dlogits separate, null, or aliasing logits.
// The one kernel checked against its reference in double rather than the fp32 table entry:
// reference<float> sums exp over the vocabulary one by one in fp32, whose relative error
// grows with the vocabulary (bounded by vocab * 2^-24; measured 5e-5 at 49152, against a
// fast CPU kernel that sums in double), and every softmax value of the row inherits it. In
// double the reference's own error is negligible and the rule above applies unchanged.
TEST_P(DeviceKernels, CrossEntropy) {
  Rng rng(25);
  const int32_t ignore = -100;
  struct Shape {
    int64_t n, vocab;
    int ignoreEvery;
  }; // 0: no row ignored, 1: all
  for (Shape s : {Shape{1, 1, 0}, Shape{5, 7, 1}, Shape{300, 4999, 3}, Shape{37, 49152, 4}})
    for (int mode : {0, 1, 2}) { // 0 separate, 1 null, 2 aliased
      const std::string l = label<SLIMTUNE_KERNEL_CROSS_ENTROPY>(
          cat("n ", s.n, " vocab ", s.vocab, " ignore every ", s.ignoreEvery,
              mode == 0   ? " dlogits"
              : mode == 1 ? " dlogits null"
                          : " dlogits=logits"));
      std::vector<float> logits = rng.uniform(s.n * s.vocab, -8, 8);
      std::vector<int32_t> targets = rng.ints(s.n, 0, static_cast<int32_t>(s.vocab));
      for (int64_t i = 0; i < s.n; ++i)
        if (s.ignoreEvery > 0 && i % s.ignoreEvery == 0)
          targets[i] = ignore;
      DeviceBuffers d(device());
      float *loss = d.filled(1, 3.0f), *dLogits = d.upload(logits);
      float *dl = mode == 0 ? d.filled(logits.size(), 3.0f) : mode == 1 ? nullptr : dLogits;
      const int32_t *dTargets = d.upload(targets);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_CROSS_ENTROPY>(l, loss, dl, dLogits, dTargets, s.n, s.vocab, ignore);
      // The reference in double on the same fp32 inputs (see above), rounded to fp32.
      std::vector<double> wide(logits.begin(), logits.end()), wideSeparate(logits.size(), 3.0);
      double wideLoss = 3.0;
      double *wideDl = mode == 0 ? wideSeparate.data() : mode == 1 ? nullptr : wide.data();
      cpu::reference::crossEntropy<double>(&wideLoss, wideDl, wide.data(), targets.data(), s.n,
                                           s.vocab, ignore);
      const std::vector<float> hostLogits(wide.begin(), wide.end()),
          separate(wideSeparate.begin(), wideSeparate.end());
      expectClose(l, "loss", d.download(loss, 1), {static_cast<float>(wideLoss)});
      if (mode == 0)
        expectClose(l, "dlogits", d.download(dl, separate.size()), separate);
      // Aliased: dlogits overwrote logits; null: logits untouched.
      expectClose(l, mode == 2 ? "dlogits (= logits)" : "logits",
                  d.download(dLogits, hostLogits.size()), hostLogits);
    }
}

// *acc += sum x^2 onto a nonzero acc: 1e-9 relative (double).
TEST_P(DeviceKernels, SumSquares) {
  Rng rng(26);
  for (int64_t n : kElementCounts) {
    const std::string l = label<SLIMTUNE_KERNEL_SUM_SQUARES>(cat("n ", n, " acc 12.5"));
    std::vector<float> x = rng.uniform(n, -3, 3);
    DeviceBuffers d(device());
    double *acc = d.upload(std::vector<double>{12.5});
    const float *dX = d.upload(x);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_SUM_SQUARES>(l, acc, dX, n);
    double accRef = 12.5;
    onHost<SLIMTUNE_KERNEL_SUM_SQUARES>(l, &accRef, x.data(), n);
    expectCloseF64(l, "acc", d.download(acc, 1)[0], accRef, 1e-9);
  }
}

TEST_P(DeviceKernels, SqrtF64) {
  for (double value : {0.0, 2.0, 12345.678, 1e10, 3e-12}) {
    const std::string l = label<SLIMTUNE_KERNEL_SQRT_F64>(cat("acc ", value));
    DeviceBuffers d(device());
    float *out = d.filled(1, 3.0f);
    const double *acc = d.upload(std::vector<double>{value});
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_SQRT_F64>(l, out, acc);
    float ref = 3.0f;
    onHost<SLIMTUNE_KERNEL_SQRT_F64>(l, &ref, &value);
    expectClose(l, "out", d.download(out, 1), {ref});
  }
}

// With and without the sum_squares pointer (clipping on, off by pointer, off by max_norm 0), at
// t = 1 and t = 10. lr, step and sum_squares are device memory. p: magnitude |p| (1 + lr wd) +
// lr |update|; m = b1 m + (1 - b1) g' can cancel: magnitude b1 |m| + (1 - b1) |g'|.
TEST_P(DeviceKernels, Adamw) {
  Rng rng(27);
  for (int64_t n : kElementCounts)
    for (int clipMode :
         {0, 1, 2}) // 0: no pointer, 1: clipping (max_norm 1), 2: pointer, max_norm 0
      for (int32_t step : {0, 9}) {
        const std::string l = label<SLIMTUNE_KERNEL_ADAMW>(cat("n ", n,
                                                               clipMode == 0   ? " no sum_squares"
                                                               : clipMode == 1 ? " clip max_norm 1"
                                                                               : " max_norm 0",
                                                               " step ", step));
        std::vector<float> p = rng.uniform(n), m = rng.uniform(n, -0.1f, 0.1f),
                           v = rng.uniform(n, 0.0f, 0.01f), g = rng.uniform(n, -0.5f, 0.5f);
        double squares = 0;
        for (float gi : g)
          squares += double(gi) * gi;
        squares += 4.0; // the other parameters' share: the norm exceeds max_norm
        const float lr = 1e-3f, maxNorm = clipMode == 1 ? 1.0f : 0.0f;
        const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, wd = 0.01f;
        DeviceBuffers d(device());
        float *dP = d.upload(p), *dM = d.upload(m), *dV = d.upload(v);
        const float *dG = d.upload(g), *dLr = d.upload(std::vector<float>{lr});
        const int32_t *dStep = d.upload(std::vector<int32_t>{step});
        const double *dSquares = clipMode == 0 ? nullptr : d.upload(std::vector<double>{squares});
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_ADAMW>(l, dP, dM, dV, dG, n, dLr, dStep, dSquares, maxNorm, beta1,
                                        beta2, eps, wd);
        std::vector<float> pRef = p, mRef = m, vRef = v;
        onHost<SLIMTUNE_KERNEL_ADAMW>(l, pRef.data(), mRef.data(), vRef.data(), g.data(), n, &lr,
                                      &step, clipMode == 0 ? nullptr : &squares, maxNorm, beta1,
                                      beta2, eps, wd);
        const double clip =
            clipMode == 1 ? std::min(1.0, maxNorm / (std::sqrt(squares) + 1e-6)) : 1.0;
        const double c1 = 1 - std::pow(double(beta1), step + 1),
                     c2 = 1 - std::pow(double(beta2), step + 1);
        std::vector<double> pMag(n), mMag(n);
        for (int64_t i = 0; i < n; ++i) {
          mMag[i] = beta1 * std::fabs(m[i]) + (1 - beta1) * std::fabs(g[i] * clip);
          const double update = mMag[i] / c1 / (std::sqrt(vRef[i] / c2) + eps);
          pMag[i] = std::fabs(p[i]) * (1 + lr * wd) + lr * update;
        }
        expectClose(l, "p", d.download(dP, n), pRef, pMag);
        expectClose(l, "m", d.download(dM, n), mRef, mMag);
        expectClose(l, "v", d.download(dV, n), vRef);
      }
}

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
