// A compiled training step loaded with everything it needs: the C++ side of slimtune.h, used
// by the slimtune CLI and by the C API.
#ifndef SLIMTUNE_SESSION_H
#define SLIMTUNE_SESSION_H

#include "slimtune/adapter.h"
#include "slimtune/lr_schedule.h"
#include "slimtune/model.h"
#include "slimtune/status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace slimtune {

// One buffer of the step's manifest.
struct StepBufferInfo {
  std::string name;
  std::string role; // frozen, trainable, state, tokens, targets, step, lr, output
  std::string dtype; // f32, i32, f64
  std::vector<int64_t> shape;
  int64_t bytes = 0;
  std::string gradOf;
};

struct StepResult {
  float loss = 0;
  float gradNorm = 0; // NaN without an optimizer
  float lr = 0;       // the learning rate used; NaN without an optimizer
  int64_t step = 0;   // optimizer steps taken, this one included
};

class Session {
public:
  // Loads an artifact (dlopen) and allocates its arena and buffers, exactly as planned.
  // With `shareWith`, parameters that session also has (same name and shape) are not copied
  // but shared: an evaluation step then reads the training step's weights and adapters as
  // they are. Its arena is shared too when large enough: an arena holds nothing from one step
  // to the next, so two sessions that never run at the same time can use one (the evaluation
  // step then costs no memory beyond its inputs and outputs). `shareWith` must outlive this
  // session, and the two must not run concurrently.
  static Expected<std::unique_ptr<Session>> open(const std::string &artifactPath,
                                                 const Session *shareWith = nullptr);
  ~Session();

  // Copies every parameter the model holds (by checkpoint name) into the step's buffers.
  Status bindModel(const ModelSource &model);
  // Copies `count` floats into the buffer called `name` (a parameter or optimizer state).
  // Every bind refuses NaN and infinity, naming the tensor and the first bad element.
  Status bindTensor(const std::string &name, const float *data, int64_t count);
  // The same from bytes that need not be aligned (a file mapping); errors name the tensor
  // but not the session, for the caller to prefix with the file.
  Status bindBytes(const std::string &name, const void *data, int64_t bytes);
  // Whether every buffer of `role` (frozen, trainable, state) has been bound.
  bool allBound(const std::string &role) const;
  // SHA-256 of the frozen parameters as bound (names, shapes, values): which base model the
  // step trains, recorded in checkpoints so that a resume cannot mix models. Computed once
  // (about 0.3 s per GB) and again only after a frozen parameter is bound anew.
  const std::string &frozenFingerprint() const;
  // Initializes every LoRA pair as PEFT would (A random from `seed`, B zero).
  Status initAdapters(LoraInit init, uint64_t seed);

  // One step on [batch, seq] token ids and targets (validated against the manifest first).
  // A training step takes a learning rate: `learningRate`, or else the rate of the schedule
  // it was compiled with at the current step count. A forward-only step takes none.
  Expected<StepResult> runStep(const int32_t *tokens, const int32_t *targets,
                               std::optional<float> learningRate = std::nullopt);

  Status readTensor(const std::string &name, float *out, int64_t count) const;
  // Direct access for checkpoints: the buffer's bytes, or null when there is none.
  void *bufferData(const std::string &name) const;

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
  // The plan: arena plus every buffer. The high-water mark of what the session allocated.
  int64_t plannedBytes() const;
  int64_t peakBytes() const;
  int64_t arenaBytes() const;
  // The target id the loss ignores (padding rows of a validation batch use it).
  int32_t ignoreIndex() const;
  // FLOPs of the step's matrix products (from the compiler), for achieved-FLOP/s figures.
  int64_t matmulFlops() const;

private:
  Session();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace slimtune

#endif // SLIMTUNE_SESSION_H
