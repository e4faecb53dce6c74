// Token files and sequence batches.
#include "slimtune/data.h"

#include "slimtune/mapped_file.h"

#include <cstring>

namespace slimtune {

Expected<std::vector<int32_t>> readTokenFile(const std::string &path) {
  SLIMTUNE_TRY(file, MappedFile::open(path));
  size_t size = file->size();
  if (size == 0)
    return Status::error(path + ": the token file is empty");
  if (size % 4 != 0)
    return Status::error(path + ": " + std::to_string(size) +
                         " bytes is not a whole number of uint32 token ids");
  std::vector<int32_t> tokens(size / 4);
  for (size_t i = 0; i < tokens.size(); ++i) {
    uint32_t id;
    std::memcpy(&id, file->data() + 4 * i, 4);
    if (id > static_cast<uint32_t>(INT32_MAX))
      return Status::error(path + ": token " + std::to_string(i) + " has id " +
                           std::to_string(id) + ", beyond any vocabulary");
    tokens[i] = static_cast<int32_t>(id);
  }
  return tokens;
}

Expected<SequenceBatcher> SequenceBatcher::create(std::vector<int32_t> tokens, int64_t batch,
                                                  int64_t seq) {
  int64_t count = static_cast<int64_t>(tokens.size());
  if (batch <= 0 || seq <= 0 || count < seq + 1)
    return Status::error("the data holds " + std::to_string(count) +
                         " tokens; one sequence needs " + std::to_string(seq + 1));
  SequenceBatcher b;
  b.tokens_ = std::move(tokens);
  b.batch_ = batch;
  b.seq_ = seq;
  b.sequences_ = (count - 1) / seq;
  return b;
}

void SequenceBatcher::fill(int64_t index, int32_t *inputs, int32_t *targets) const {
  for (int64_t r = 0; r < batch_; ++r) {
    int64_t start = ((index * batch_ + r) % sequences_) * seq_;
    std::memcpy(inputs + r * seq_, tokens_.data() + start, seq_ * 4);
    std::memcpy(targets + r * seq_, tokens_.data() + start + 1, seq_ * 4);
  }
}

} // namespace slimtune
