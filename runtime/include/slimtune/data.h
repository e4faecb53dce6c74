// Training data: token files, text documents, and the packed, shuffled, split sequences a
// training run consumes.
#ifndef SLIMTUNE_DATA_H
#define SLIMTUNE_DATA_H

#include "slimtune/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slimtune {

// Reads raw little-endian uint32 token ids. Errors name the file: unreadable, a size that is
// not a multiple of 4, empty, or an id beyond int32.
Expected<std::vector<int32_t>> readTokenFile(const std::string &path);

// The documents of a text file. A `.jsonl` file holds one JSON object per line with a string
// field "text". Any other file is UTF-8 text cut into documents at lines equal to `separator`
// (e.g. "%" for fortune files) or, when `separator` is empty, at blank lines (paragraphs).
// Documents are trimmed of surrounding newlines; empty ones are dropped. Errors name the file
// and line: unreadable, empty, invalid UTF-8 (with its byte offset), malformed JSON lines.
Expected<std::vector<std::string>> readTextDocuments(const std::string &path,
                                                     const std::string &separator);
// The same for text already in memory, read as the contents of a file named `name`: its
// `.jsonl` ending chooses JSON Lines, and errors name it as they would name the file.
Expected<std::vector<std::string>> parseTextDocuments(std::string_view text,
                                                      const std::string &name,
                                                      const std::string &separator);

// Documents as token ids, one after another: document i is tokens[ends[i-1], ends[i]).
struct TokenizedDocuments {
  std::vector<int32_t> tokens;
  std::vector<uint64_t> ends;
};

// The sequences of a run. Documents are put in a random order (from `seed`), joined into one
// stream with `separator` (EOS) after each, and the stream is cut into windows of seq + 1
// tokens (inputs and next-token targets) that overlap by one token. The last `valFraction` of
// the windows are held out for validation (a document may straddle the boundary); the others
// are served in a fresh random order every epoch. Everything follows from (documents, seed,
// seq, valFraction), so a run resumed from "sequences consumed" sees exactly the same batches.
class PackedDataset {
public:
  // `separator` < 0: none (token files are one stream already). `name` labels errors.
  static Expected<PackedDataset> create(const TokenizedDocuments &documents, int32_t separator,
                                        int64_t seq, double valFraction, uint64_t seed,
                                        const std::string &name);

  int64_t trainSequences() const { return trainCount_; }
  int64_t valSequences() const { return static_cast<int64_t>(windowStarts_.size()) - trainCount_; }
  int64_t sequenceLength() const { return seq_; }
  int64_t tokenCount() const { return static_cast<int64_t>(stream_.size()); }

  // Training sequences number `consumed` .. `consumed + batch - 1` of the endless
  // epoch-by-epoch order, as [batch, seq] inputs and targets.
  void fillTrain(int64_t consumed, int64_t batch, int32_t *inputs, int32_t *targets) const;
  // Validation batch `index`; rows past the end get token 0 and `ignoreIndex` targets.
  // Returns the number of real rows.
  int64_t fillValidation(int64_t index, int64_t batch, int32_t ignoreIndex, int32_t *inputs,
                         int32_t *targets) const;
  int64_t validationBatches(int64_t batch) const { return (valSequences() + batch - 1) / batch; }

  // A digest of the stream and its split: a resumed run checks it sees the same data.
  const std::string &fingerprint() const { return fingerprint_; }

private:
  int64_t trainWindow(int64_t sequence) const;
  void copyWindow(int64_t window, int32_t *inputs, int32_t *targets) const;

  std::vector<int32_t> stream_;
  std::vector<int64_t> windowStarts_;
  int64_t seq_ = 0, trainCount_ = 0;
  uint64_t seed_ = 0;
  std::string fingerprint_;
  // The permutation of the epoch last asked for (an epoch is used batch after batch).
  mutable int64_t cachedEpoch_ = -1;
  mutable std::vector<int64_t> cachedOrder_;
};

} // namespace slimtune

#endif // SLIMTUNE_DATA_H
