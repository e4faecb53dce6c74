// A Hugging Face model folder as a ModelSource.
#ifndef SLIMTUNE_MODEL_HF_MODEL_H
#define SLIMTUNE_MODEL_HF_MODEL_H

#include "slimtune/model.h"
#include "slimtune/safetensors.h"

#include <set>

namespace slimtune {

class HfModelSource : public ModelSource {
public:
  static Expected<std::unique_ptr<ModelSource>> open(const std::string &folder);
  std::string format() const override { return "Hugging Face safetensors"; }
  const std::vector<StoredTensor> &storedTensors() const override { return stored_; }
  Status readF32(const std::string &name, std::vector<float> &out) const override;

private:
  HfModelSource() = default;
  SafetensorsCheckpoint checkpoint_;
  std::vector<StoredTensor> stored_;
};

} // namespace slimtune

#endif // SLIMTUNE_MODEL_HF_MODEL_H
