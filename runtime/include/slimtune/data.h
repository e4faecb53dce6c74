// Training data: token files and the batches a step consumes.
#ifndef SLIMTUNE_DATA_H
#define SLIMTUNE_DATA_H

#include "slimtune/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace slimtune {

// Reads raw little-endian uint32 token ids. Errors name the file: unreadable, a size that is
// not a multiple of 4, empty, or an id beyond int32.
Expected<std::vector<int32_t>> readTokenFile(const std::string &path);

// Cuts a token stream into sequences of seq + 1 tokens (inputs and next-token targets, the
// windows overlapping by one token) and serves batches of them in order, wrapping around.
class SequenceBatcher {
public:
  // Fails when the stream holds less than one sequence.
  static Expected<SequenceBatcher> create(std::vector<int32_t> tokens, int64_t batch, int64_t seq);
  // Fills [batch, seq] inputs and targets for batch number `index`.
  void fill(int64_t index, int32_t *inputs, int32_t *targets) const;
  int64_t sequences() const { return sequences_; }

private:
  std::vector<int32_t> tokens_;
  int64_t batch_ = 0, seq_ = 0, sequences_ = 0;
};

} // namespace slimtune

#endif // SLIMTUNE_DATA_H
