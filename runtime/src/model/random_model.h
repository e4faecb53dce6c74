// A model given by its config.json alone, its weights drawn from a seed: for benchmarking and
// checking at real shapes (LLaMA-7B) without downloading anything. The draws are counter based
// (kernels/common/counter_random.h): the same seed gives the same weights on every machine,
// whichever order tensors are read in. Opened as ModelSource::openRandom.
#ifndef SLIMTUNE_MODEL_RANDOM_MODEL_H
#define SLIMTUNE_MODEL_RANDOM_MODEL_H

#include "slimtune/model.h"

#include <cstdint>
#include <map>

namespace slimtune {

class RandomModelSource : public ModelSource {
public:
  // `path`: a folder holding config.json, or the config.json itself (safetensors, if any, are
  // not read). Weights as Hugging Face initializes them: linear and embedding weights
  // normal(0, initializer_range) (0.02 when the file gives none), norm scales 1, biases 0.
  static Expected<std::unique_ptr<ModelSource>> open(const std::string &path, uint64_t seed);
  std::string format() const override { return "random weights (seed " + std::to_string(seed_) + ")"; }
  const std::vector<StoredTensor> &storedTensors() const override { return stored_; }
  Status readF32(const std::string &name, std::vector<float> &out) const override;

private:
  RandomModelSource() = default;
  enum class Fill { Normal, Ones, Zeros };
  uint64_t seed_ = 0;
  double stddev_ = 0.02;
  std::vector<StoredTensor> stored_;
  std::map<std::string, Fill> fill_;
};

} // namespace slimtune

#endif // SLIMTUNE_MODEL_RANDOM_MODEL_H
