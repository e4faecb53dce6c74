// A GGUF model file as a ModelSource.
#ifndef SLIMTUNE_MODEL_GGUF_MODEL_H
#define SLIMTUNE_MODEL_GGUF_MODEL_H

#include "slimtune/gguf.h"
#include "slimtune/model.h"

namespace slimtune {

class GgufModelSource : public ModelSource {
public:
  static Expected<std::unique_ptr<ModelSource>> open(const std::string &path);
  std::string format() const override { return "GGUF v" + std::to_string(file_.contents().version); }
  const std::vector<StoredTensor> &storedTensors() const override { return stored_; }
  Status readF32(const std::string &name, std::vector<float> &out) const override;
  Status readStoredBlocks(const std::string &name, GgmlType type,
                          std::vector<uint8_t> &out) const override;
  const GgufFile &file() const { return file_; }

private:
  GgufModelSource() = default;
  GgufFile file_;
  std::vector<StoredTensor> stored_;
};

// llama.cpp's converter interleaves the two halves of every q/k head (for its RoPE layout);
// this restores Hugging Face's rotate-half order. `rows` = heads * head_dim rows of `cols`
// elements (floats, or the bytes of a row of blocks).
template <typename T>
void unpermuteHeadRows(std::vector<T> &values, int64_t heads, int64_t rows, int64_t cols);

} // namespace slimtune

#endif // SLIMTUNE_MODEL_GGUF_MODEL_H
