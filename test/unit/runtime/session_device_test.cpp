// A session on devices other than the plain CPU one: memory the host may not touch, a kernel
// that fails, an artifact compiled for another target. The step is test/unit/runtime/
// tiny_step.c (a hand-written artifact), whose kernels are the CPU's.
#include "device/cpu_device.h"
#include "slimtune/checkpoint.h"
#include "slimtune/kernel_abi.h"
#include "slimtune/session.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

namespace slimtune {
namespace {

using slimtune::testing::TempDir;

// Host memory the host may not read or write: every allocation is its own mapping, kept
// PROT_NONE except inside this device's copies and while a step runs (from kernelContext(),
// which the session asks for right before the step, to synchronize(), right after). Any
// direct access by the session or the checkpoint code faults.
class LockedDevice : public Device {
public:
  std::string_view target() const override { return "cpu"; }
  Expected<DeviceMemory> allocate(int64_t bytes) override {
    const int64_t page = sysconf(_SC_PAGESIZE);
    const int64_t rounded = std::max<int64_t>(page, (bytes + page - 1) / page * page);
    void *data = mmap(nullptr, rounded, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED)
      return Status::error("cannot map " + std::to_string(bytes) + " bytes");
    mappings_[data] = rounded;
    current_ += rounded;
    peak_ = std::max(peak_, current_);
    return DeviceMemory(this, data, rounded);
  }
  Status copyIn(void *device, const void *host, int64_t bytes) override {
    ++copiesIn;
    Unlocked open(*this);
    std::memcpy(device, host, bytes);
    return Status::ok();
  }
  Status copyOut(void *host, const void *device, int64_t bytes) const override {
    ++copiesOut;
    Unlocked open(*this);
    std::memcpy(host, device, bytes);
    return Status::ok();
  }
  bool hostAccessible() const override { return false; }
  void *const *kernels() const override { return cpu_.kernels(); }
  void *kernelContext() override {
    protect(PROT_READ | PROT_WRITE);
    return nullptr;
  }
  Status synchronize() override {
    protect(PROT_NONE);
    return Status::ok();
  }
  Status kernelFailure(int32_t kernelId, int32_t status) const override {
    return Status::error(kernelFailureText(kernelId, status));
  }
  int64_t currentBytes() const override { return current_; }
  int64_t peakBytes() const override { return peak_; }

  mutable int copiesIn = 0, copiesOut = 0;

protected:
  void release(void *data, int64_t bytes) override {
    munmap(data, bytes);
    mappings_.erase(data);
    current_ -= bytes;
  }

private:
  struct Unlocked {
    explicit Unlocked(const LockedDevice &d) : device(d) { device.protect(PROT_READ | PROT_WRITE); }
    ~Unlocked() { device.protect(PROT_NONE); }
    const LockedDevice &device;
  };
  void protect(int access) const {
    for (const auto &[data, bytes] : mappings_)
      mprotect(data, bytes, access);
  }

  CpuDevice cpu_;
  std::map<void *, int64_t> mappings_;
  int64_t current_ = 0, peak_ = 0;
};

int32_t failingCrossEntropy(void *, float *, float *, const float *, const int32_t *, int64_t,
                            int64_t, int32_t) {
  return SLIMTUNE_KERNEL_DEVICE_ERROR;
}

// The CPU device with one kernel that reports a device error.
class FailingDevice : public CpuDevice {
public:
  FailingDevice() : table_(CpuDevice::kernels(), CpuDevice::kernels() + SLIMTUNE_KERNEL_COUNT) {
    table_[SLIMTUNE_KERNEL_CROSS_ENTROPY] = reinterpret_cast<void *>(&failingCrossEntropy);
  }
  void *const *kernels() const override { return table_.data(); }

private:
  std::vector<void *> table_;
};

const std::vector<int32_t> kTokens = {1, 5, 9, 2, 7, 7, 3, 15};
const std::vector<int32_t> kTargets = {5, 9, 2, -100, 7, 3, 15, -100};

std::vector<float> values(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(static_cast<int32_t>((i + 1) * 2654435761u * seed % 2001) - 1000) / 2000.0f;
  return v;
}

// A session of the test step with its embedding and head bound, on `device` (null: the
// default CPU one).
std::unique_ptr<Session> openStep(std::shared_ptr<Device> device = nullptr) {
  auto session = Session::open(SLIMTUNE_TEST_STEP, nullptr, std::move(device));
  EXPECT_TRUE(session) << session.status().message();
  if (!session)
    return nullptr;
  EXPECT_TRUE((*session)->bindTensor("embed.weight", values(128, 3).data(), 128));
  EXPECT_TRUE((*session)->bindTensor("head.weight", values(128, 7).data(), 128));
  return session.take();
}

StepResult step(Session &session) {
  auto result = session.runStep(kTokens.data(), kTargets.data());
  EXPECT_TRUE(result) << result.status().message();
  return result ? *result : StepResult{};
}

std::vector<float> head(const Session &session) {
  std::vector<float> out(128);
  EXPECT_TRUE(session.readTensor("head.weight", out.data(), 128));
  return out;
}

TEST(SessionOnDevice, MemoryOnlyTheDeviceTouchesGivesTheCpuResults) {
  auto locked = std::make_shared<LockedDevice>();
  auto onCpu = openStep(), onLocked = openStep(locked);
  ASSERT_TRUE(onCpu && onLocked);
  for (int i = 0; i < 2; ++i) {
    StepResult a = step(*onCpu), b = step(*onLocked);
    EXPECT_EQ(a.loss, b.loss);
    EXPECT_EQ(a.gradNorm, b.gradNorm);
    EXPECT_EQ(a.lr, 0.05f);
    EXPECT_EQ(a.step, b.step);
  }
  EXPECT_TRUE(std::isfinite(step(*onCpu).loss));
  EXPECT_TRUE(std::isfinite(step(*onLocked).loss));
  EXPECT_EQ(head(*onCpu), head(*onLocked));
  ASSERT_TRUE(onCpu->frozenFingerprint() && onLocked->frozenFingerprint());
  EXPECT_EQ(*onCpu->frozenFingerprint(), *onLocked->frozenFingerprint());
  EXPECT_GT(locked->copiesIn, 0);
  EXPECT_GT(locked->copiesOut, 0);

  // Checkpoints cross devices: each session's is loaded into a session on the other device,
  // and the next step of all four agrees (the f64 state buffer included).
  TempDir dir;
  ASSERT_TRUE(saveCheckpoint(*onCpu, dir.path("cpu"), {}));
  ASSERT_TRUE(saveCheckpoint(*onLocked, dir.path("locked"), {}));
  auto fromLocked = openStep(), fromCpu = openStep(locked);
  ASSERT_TRUE(fromLocked && fromCpu);
  auto loaded = loadCheckpoint(*fromLocked, dir.path("locked"));
  ASSERT_TRUE(loaded) << loaded.status().message();
  loaded = loadCheckpoint(*fromCpu, dir.path("cpu"));
  ASSERT_TRUE(loaded) << loaded.status().message();
  const StepResult next = step(*onCpu);
  for (Session *session : {onLocked.get(), fromLocked.get(), fromCpu.get()}) {
    StepResult result = step(*session);
    EXPECT_EQ(result.loss, next.loss);
    EXPECT_EQ(result.gradNorm, next.gradNorm);
    EXPECT_EQ(result.step, 4);
  }
}

TEST(SessionOnDevice, PeakIsTheAllocatorsPlannedIsTheManifests) {
  // The locked device rounds every allocation up to whole pages: the measured peak is what it
  // counted, at least the plan (the manifest's sizes), by at most a page per allocation.
  auto locked = std::make_shared<LockedDevice>();
  auto session = openStep(locked);
  ASSERT_TRUE(session);
  int64_t planned = session->arenaBytes();
  for (const StepBufferInfo &b : session->buffers())
    planned += b.bytes;
  EXPECT_EQ(session->plannedBytes(), planned);
  EXPECT_EQ(session->peakBytes(), locked->peakBytes());
  const int64_t page = sysconf(_SC_PAGESIZE);
  EXPECT_GE(session->peakBytes(), planned);
  EXPECT_LE(session->peakBytes(),
            planned + page * static_cast<int64_t>(session->buffers().size() + 1));
  // A session sharing the device reports the same peak: the device's, both included.
  auto eval = Session::open(SLIMTUNE_TEST_STEP, session.get());
  ASSERT_TRUE(eval) << eval.status().message();
  EXPECT_LT((*eval)->plannedBytes(), planned); // the arena and parameters are shared
  EXPECT_EQ((*eval)->peakBytes(), session->peakBytes());
}

TEST(SessionOnDevice, AFailingKernelIsNamed) {
  auto session = openStep(std::make_shared<FailingDevice>());
  ASSERT_TRUE(session);
  auto result = session->runStep(kTokens.data(), kTargets.data());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.status().message(),
            std::string(SLIMTUNE_TEST_STEP) +
                ": kernel cross_entropy failed: device error (the device or a library it calls "
                "failed)");
  EXPECT_EQ(session->stepCount(), 0);
}

TEST(SessionOnDevice, AnArtifactForAnotherTargetIsRefused) {
  // Without a device, the session opens the one its manifest names: no build has one.
  auto session = Session::open(SLIMTUNE_TEST_STEP_OTHER);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.status().message(), std::string(SLIMTUNE_TEST_STEP_OTHER) +
                                            ": no device for target \"tpu\": this build has cpu, cuda");
  // Given a device of another target, the session refuses it.
  session = Session::open(SLIMTUNE_TEST_STEP_OTHER, nullptr, std::make_shared<CpuDevice>());
  ASSERT_FALSE(session);
  EXPECT_EQ(session.status().message(),
            std::string(SLIMTUNE_TEST_STEP_OTHER) +
                ": compiled for target \"tpu\", but the session's device is \"cpu\"");
}

TEST(SessionOnDevice, SharingNeedsTheSameDevice) {
  auto train = openStep();
  ASSERT_TRUE(train);
  auto other = Session::open(SLIMTUNE_TEST_STEP, train.get(), std::make_shared<LockedDevice>());
  ASSERT_FALSE(other);
  EXPECT_EQ(other.status().message(), std::string(SLIMTUNE_TEST_STEP) +
                                          ": cannot share memory with a session on another device");
  // Without a device of its own, a sharing session takes the other's: the parameters are one.
  auto eval = Session::open(SLIMTUNE_TEST_STEP, train.get());
  ASSERT_TRUE(eval) << eval.status().message();
  step(*train);
  EXPECT_EQ(head(**eval), head(*train));
}

TEST(SessionOnDevice, FloatApisRefuseOtherTypes) {
  auto session = openStep();
  ASSERT_TRUE(session);
  float out[8];
  EXPECT_EQ(session->readTensor("tokens", out, 8).message(),
            std::string(SLIMTUNE_TEST_STEP) + ": \"tokens\" holds 32 bytes of i32, not 8 floats");
  EXPECT_EQ(session->bindTensor("grad_sum_squares", out, 2).message(),
            std::string(SLIMTUNE_TEST_STEP) +
                ": \"grad_sum_squares\" holds 8 bytes of f64, not 2 floats");
  const double sum = 2.5;
  EXPECT_TRUE(session->bindBytes("grad_sum_squares", &sum, sizeof sum));
  double back = 0;
  EXPECT_TRUE(session->readBytes("grad_sum_squares", &back, sizeof back));
  EXPECT_EQ(back, sum);
}

} // namespace
} // namespace slimtune
