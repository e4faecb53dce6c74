// Packing documents into fixed-length sequences, the validation hold-out, and the per-epoch
// shuffle.
#include "slimtune/data.h"

#include "slimtune/sha256.h"
#include "support/random.h"

#include <cmath>
#include <cstring>
#include <numeric>

namespace slimtune {

Expected<PackedDataset> PackedDataset::create(const TokenizedDocuments &documents,
                                              int32_t separator, int64_t seq, double valFraction,
                                              uint64_t seed, const std::string &name) {
  if (seq <= 0)
    return Status::error(name + ": the sequence length must be positive");
  if (!(valFraction >= 0 && valFraction < 1))
    return Status::error(name + ": the validation fraction must be in [0, 1)");
  size_t count = documents.ends.size();
  std::vector<uint64_t> order(count);
  std::iota(order.begin(), order.end(), uint64_t{0});
  SplitMix64 random(seed ^ fnv1a("documents"));
  shuffle(order.data(), order.size(), random);

  PackedDataset d;
  d.seq_ = seq;
  d.seed_ = seed;
  d.stream_.reserve(documents.tokens.size() + (separator >= 0 ? count : 0));
  for (uint64_t i : order) {
    uint64_t begin = i == 0 ? 0 : documents.ends[i - 1], end = documents.ends[i];
    d.stream_.insert(d.stream_.end(), documents.tokens.begin() + begin, documents.tokens.begin() + end);
    if (separator >= 0)
      d.stream_.push_back(separator);
  }
  int64_t tokens = static_cast<int64_t>(d.stream_.size());
  int64_t windows = tokens > seq ? (tokens - 1) / seq : 0;
  int64_t held = static_cast<int64_t>(std::ceil(valFraction * static_cast<double>(windows)));
  if (windows - held < 1)
    return Status::error(name + ": " + std::to_string(tokens) + " tokens make " +
                         std::to_string(windows) + " sequences of " + std::to_string(seq) +
                         " tokens" +
                         (held ? ", " + std::to_string(held) + " of them held out for validation" : "") +
                         ": none to train on; give more data or a shorter --seq" +
                         (held ? " (or a smaller --val-fraction)" : ""));
  for (int64_t w = 0; w < windows; ++w)
    d.windowStarts_.push_back(w * seq);
  d.trainCount_ = windows - held;

  Sha256 digest;
  digest.update(d.stream_.data(), d.stream_.size() * sizeof(int32_t));
  int64_t shape[2] = {seq, held};
  digest.update(shape, sizeof shape);
  d.fingerprint_ = digest.hex();
  return d;
}

int64_t PackedDataset::trainWindow(int64_t sequence) const {
  int64_t epoch = sequence / trainCount_, at = sequence % trainCount_;
  if (epoch != cachedEpoch_) {
    cachedOrder_.resize(trainCount_);
    std::iota(cachedOrder_.begin(), cachedOrder_.end(), int64_t{0});
    SplitMix64 random(seed_ ^ fnv1a("epoch") ^ (static_cast<uint64_t>(epoch) * 0x9e3779b97f4a7c15ull));
    shuffle(cachedOrder_.data(), cachedOrder_.size(), random);
    cachedEpoch_ = epoch;
  }
  return cachedOrder_[at];
}

void PackedDataset::copyWindow(int64_t window, int32_t *inputs, int32_t *targets) const {
  const int32_t *start = stream_.data() + windowStarts_[window];
  std::memcpy(inputs, start, seq_ * sizeof(int32_t));
  std::memcpy(targets, start + 1, seq_ * sizeof(int32_t));
}

void PackedDataset::fillTrain(int64_t consumed, int64_t batch, int32_t *inputs,
                              int32_t *targets) const {
  for (int64_t r = 0; r < batch; ++r)
    copyWindow(trainWindow(consumed + r), inputs + r * seq_, targets + r * seq_);
}

int64_t PackedDataset::fillValidation(int64_t index, int64_t batch, int32_t ignoreIndex,
                                      int32_t *inputs, int32_t *targets) const {
  int64_t real = 0;
  for (int64_t r = 0; r < batch; ++r) {
    int64_t v = index * batch + r;
    if (v < valSequences()) {
      copyWindow(trainCount_ + v, inputs + r * seq_, targets + r * seq_);
      ++real;
    } else {
      std::fill(inputs + r * seq_, inputs + (r + 1) * seq_, 0);
      std::fill(targets + r * seq_, targets + (r + 1) * seq_, ignoreIndex);
    }
  }
  return real;
}

} // namespace slimtune
