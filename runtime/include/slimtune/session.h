// A compiled training step loaded with everything it needs: the C++ side of slimtune.h, used
// by the slimtune CLI and by the C API.
#ifndef SLIMTUNE_SESSION_H
#define SLIMTUNE_SESSION_H

#include "slimtune/adapter.h"
#include "slimtune/dtype.h"
#include "slimtune/lr_schedule.h"
#include "slimtune/model.h"
#include "slimtune/status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace slimtune {

class Device;

// One buffer of the step's manifest.
struct StepBufferInfo {
  std::string name;
  std::string role; // frozen, trainable, state, tokens, targets, step, lr, output
  std::string dtype; // f32, i32, f64
  std::vector<int64_t> shape;
  int64_t bytes = 0;
  std::string gradOf;

  // dtype as an element type (the manifest reader admits only those three).
  DType elementType() const;
};

struct StepResult {
  float loss = 0;
  float gradNorm = 0; // NaN without an optimizer
  float lr = 0;       // the learning rate used; NaN without an optimizer
  int64_t step = 0;   // optimizer steps taken, this one included
};

// What binding a model did for CE-LoRA's SVD factors (Session::svdStats).
struct SvdBindStats {
  int64_t computed = 0, fromCache = 0; // weights factored now, weights read from the cache
  double seconds = 0;                  // both, with the residuals
  std::string cacheProblem;            // the first reason a cache file was not used or written
};

class Session {
public:
  // Loads an artifact (dlopen) and allocates its arena and buffers on `device`, exactly as
  // planned. The artifact must have been compiled for the device's target. Without a device,
  // the session runs on shareWith's, or else on a CPU device of its own.
  // With `shareWith`, parameters that session also has (same name and shape) are not copied
  // but shared: an evaluation step then reads the training step's weights and adapters as
  // they are. Its arena is shared too when large enough: an arena holds nothing from one step
  // to the next, so two sessions that never run at the same time can use one (the evaluation
  // step then costs no memory beyond its inputs and outputs). Sharing needs the same device.
  // `shareWith` must outlive this session, and the two must not run concurrently.
  static Expected<std::unique_ptr<Session>> open(const std::string &artifactPath,
                                                 const Session *shareWith = nullptr,
                                                 std::shared_ptr<Device> device = nullptr);
  ~Session();

  // Copies every parameter the model holds (by checkpoint name) into the step's buffers, and
  // derives the ones slim-ce-lora asks for (<W>.svd_left, .svd_right, .svd_residual) from W
  // by an fp32 SVD, cached in svdCacheFolder().
  Status bindModel(const ModelSource &model);
  // Where bindModel caches SVD factors: $SLIMTUNE_CACHE/svd or ~/.cache/slimtune/svd unless
  // set; "" for no cache.
  void setSvdCacheFolder(const std::string &folder);
  // What bindModel did for CE-LoRA's factors.
  const SvdBindStats &svdStats() const;
  // Copies `count` floats into the f32 buffer called `name` (a parameter or optimizer state).
  // Every bind refuses NaN and infinity in f32 data, naming the tensor and the first bad
  // element, before anything is copied.
  Status bindTensor(const std::string &name, const float *data, int64_t count);
  // The same from bytes that need not be aligned (a file mapping); errors name the tensor
  // but not the session, for the caller to prefix with the file.
  Status bindBytes(const std::string &name, const void *data, int64_t bytes);
  // Whether every buffer of `role` (frozen, trainable, state) has been bound.
  bool allBound(const std::string &role) const;
  // SHA-256 of the frozen parameters as bound (names, shapes, values): which base model the
  // step trains, recorded in checkpoints so that a resume cannot mix models. Computed once
  // (about 0.3 s per GB) and again only after a frozen parameter is bound anew. An error when
  // the device cannot copy them out.
  Expected<std::string> frozenFingerprint() const;
  // Initializes every LoRA pair as PEFT would (A random from `seed`, B zero), and MEFT's
  // bottleneck adapters as MEFT does (weights normal(0, 0.02), biases zero).
  Status initAdapters(LoraInit init, uint64_t seed);

  // One step on [batch, seq] token ids and targets (validated against the manifest first).
  // A training step takes a learning rate: `learningRate`, or else the rate of the schedule
  // it was compiled with at the current step count. A forward-only step takes none.
  Expected<StepResult> runStep(const int32_t *tokens, const int32_t *targets,
                               std::optional<float> learningRate = std::nullopt);

  // Copies the f32 buffer called `name` (`count` floats) out of step memory.
  Status readTensor(const std::string &name, float *out, int64_t count) const;
  // Copies all `bytes` of the buffer called `name`, whatever its type, out of step memory:
  // what checkpoints save.
  Status readBytes(const std::string &name, void *out, int64_t bytes) const;

  const std::vector<StepBufferInfo> &buffers() const;
  int64_t batchSize() const;
  int64_t sequenceLength() const;
  bool hasOptimizer() const;
  // The learning-rate schedule the step was compiled with (none for a forward-only step).
  const std::optional<LrSchedule> &schedule() const;
  // The adapter configuration (adapter_config.json) the graph was imported with; "" if none.
  const std::string &adapterConfig() const;
  int64_t stepCount() const;
  void setStepCount(int64_t steps);
  // The plan: the manifest's sizes of the arena and every buffer this session allocated (not
  // those it shares with another session).
  int64_t plannedBytes() const;
  // Measured: the high-water mark of the device's allocator (Device::peakBytes()), which holds
  // what it allocated, padding included, for every session on it: sessions that share memory
  // share a device, and each reports the peak of all of them. On a device of its own, a
  // session's peak is at least its plan, by at most the allocator's rounding per allocation.
  int64_t peakBytes() const;
  int64_t arenaBytes() const;
  // The target id the loss ignores (padding rows of a validation batch use it).
  int32_t ignoreIndex() const;
  // FLOPs of the step's matrix products (from the compiler), for achieved-FLOP/s figures.
  int64_t matmulFlops() const;

private:
  Session();
  Status bindSvdFactors(const ModelSource &model);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace slimtune

#endif // SLIMTUNE_SESSION_H
