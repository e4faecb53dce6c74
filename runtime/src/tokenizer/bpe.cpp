// BPE merging as tokenizers' Word::merge_all does it: a queue of adjacent pairs ordered by
// (rank, position); a popped pair that no longer exists in the word is skipped. The result is
// the classic "merge the lowest-ranked adjacent pair, leftmost first, until none is left".
#include "tokenizer/bpe.h"

#include "tokenizer/byte_level.h"

#include <algorithm>
#include <mutex>
#include <queue>

namespace slimtune {

struct BpeModel::Cache {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<int32_t>> words;
};

namespace {
// Words longer than this are merged every time (they are rare and would bloat the cache); the
// cache is emptied when it holds this many words, so memory stays bounded on any text.
constexpr size_t kMaxCachedWordBytes = 256;
constexpr size_t kMaxCachedWords = 1 << 18;
} // namespace

Expected<BpeModel> BpeModel::create(Vocab vocab,
                                    const std::vector<std::pair<std::string, std::string>> &merges,
                                    const BpeOptions &options, UnknownMerge unknownMerge) {
  BpeModel m;
  m.options_ = options;
  if (options.unkToken) {
    auto it = vocab.find(*options.unkToken);
    if (it == vocab.end())
      return Status::error("unk_token \"" + *options.unkToken + "\" is not in the vocabulary");
    m.unkId_ = it->second;
  }
  for (unsigned b = 0; b < 256; ++b) {
    auto it = vocab.find(byteLevelChar(static_cast<uint8_t>(b)));
    m.byteIds_[b] = it == vocab.end() ? -1 : it->second;
  }
  m.merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto &[left, right] = merges[rank];
    std::string merged = left + right;
    auto l = vocab.find(left), r = vocab.find(right), result = vocab.find(merged);
    if (l == vocab.end() || r == vocab.end() || result == vocab.end()) {
      if (unknownMerge == UnknownMerge::Skip)
        continue;
      const std::string &missing = l == vocab.end() ? left : r == vocab.end() ? right : merged;
      return Status::error("merge " + std::to_string(rank) + " (\"" + left + " " + right +
                           "\"): \"" + missing + "\" is not in the vocabulary");
    }
    m.merges_[pairKey(l->second, r->second)] = {static_cast<int32_t>(rank), result->second};
  }
  m.vocab_ = std::make_shared<const Vocab>(std::move(vocab));
  m.cache_ = std::make_shared<Cache>();
  return m;
}

std::optional<int32_t> BpeModel::tokenId(std::string_view token) const {
  auto it = vocab_->find(std::string(token));
  if (it == vocab_->end())
    return std::nullopt;
  return it->second;
}

std::vector<std::array<int32_t, 3>> BpeModel::mergesByRank() const {
  std::vector<std::pair<int32_t, std::array<int32_t, 3>>> ranked;
  ranked.reserve(merges_.size());
  for (const auto &[key, merge] : merges_)
    ranked.push_back({merge.rank,
                      {static_cast<int32_t>(key >> 32), static_cast<int32_t>(key & 0xffffffffu),
                       merge.result}});
  std::sort(ranked.begin(), ranked.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  std::vector<std::array<int32_t, 3>> out;
  out.reserve(ranked.size());
  for (const auto &r : ranked)
    out.push_back(r.second);
  return out;
}

void BpeModel::encodeWord(std::string_view word, std::vector<int32_t> &ids) const {
  if (word.empty())
    return;
  bool cacheable = word.size() <= kMaxCachedWordBytes;
  std::string key;
  if (cacheable) {
    key.assign(word);
    std::lock_guard<std::mutex> lock(cache_->mutex);
    auto it = cache_->words.find(key);
    if (it != cache_->words.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  size_t first = ids.size();
  mergeWord(word, ids);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    if (cache_->words.size() >= kMaxCachedWords)
      cache_->words.clear();
    cache_->words.emplace(std::move(key), std::vector<int32_t>(ids.begin() + first, ids.end()));
  }
}

void BpeModel::mergeWord(std::string_view word, std::vector<int32_t> &ids) const {
  if (options_.ignoreMerges)
    if (auto whole = vocab_->find(toByteLevel(word)); whole != vocab_->end()) {
      ids.push_back(whole->second);
      return;
    }

  // The word's symbols: one per byte (one alphabet character each), unknown ones as unk.
  struct Symbol {
    int32_t id, prev, next;
    bool alive;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&](int32_t id) {
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, true});
    if (index > 0)
      symbols[index - 1].next = index;
  };
  bool pendingUnk = false;
  for (char c : word) {
    int32_t id = byteIds_[static_cast<uint8_t>(c)];
    if (id >= 0) {
      if (pendingUnk)
        add(unkId_);
      pendingUnk = false;
      add(id);
    } else if (unkId_ >= 0) {
      if (pendingUnk && !options_.fuseUnk)
        add(unkId_);
      pendingUnk = true;
    }
  }
  if (pendingUnk)
    add(unkId_);

  struct Candidate {
    int32_t rank, pos, result;
    bool operator>(const Candidate &o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto consider = [&](int32_t pos) {
    int32_t next = symbols[pos].next;
    if (next < 0)
      return;
    auto it = merges_.find(pairKey(symbols[pos].id, symbols[next].id));
    if (it != merges_.end())
      queue.push({it->second.rank, pos, it->second.result});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i)
    consider(i);
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol &left = symbols[top.pos];
    if (!left.alive || left.next < 0)
      continue;
    // Stale entries: the pair at this position changed since it was queued.
    auto it = merges_.find(pairKey(left.id, symbols[left.next].id));
    if (it == merges_.end() || it->second.result != top.result)
      continue;
    Symbol &right = symbols[left.next];
    left.id = top.result;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0)
      symbols[right.next].prev = top.pos;
    if (left.prev >= 0)
      consider(left.prev);
    consider(top.pos);
  }
  for (const Symbol &s : symbols)
    if (s.alive)
      ids.push_back(s.id);
}

} // namespace slimtune
