// Matching added tokens, after tokenizers' AddedVocabulary::find_matches: leftmost-longest
// matches (its Aho-Corasick automaton), then per token the single_word test and the lstrip /
// rstrip widening, with "word" and "whitespace" as Rust's regex crate reads \w and \s.
#include "tokenizer/added_tokens.h"

#include "slimtune/regex.h"

#include <algorithm>

namespace slimtune {
namespace {

// The code point starting at `pos` (valid UTF-8) and its length.
std::pair<uint32_t, size_t> codePointAt(std::string_view s, size_t pos) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(s[i])); };
  uint32_t c = b(pos);
  if (c < 0x80)
    return {c, 1};
  if (c < 0xE0)
    return {((c & 0x1F) << 6) | (b(pos + 1) & 0x3F), 2};
  if (c < 0xF0)
    return {((c & 0x0F) << 12) | ((b(pos + 1) & 0x3F) << 6) | (b(pos + 2) & 0x3F), 3};
  return {((c & 0x07) << 18) | ((b(pos + 1) & 0x3F) << 12) | ((b(pos + 2) & 0x3F) << 6) |
              (b(pos + 3) & 0x3F),
          4};
}

// Where the code point ending at `end` starts.
size_t previousCodePoint(std::string_view s, size_t end) {
  size_t pos = end - 1;
  while (pos > 0 && (static_cast<uint8_t>(s[pos]) & 0xC0) == 0x80)
    --pos;
  return pos;
}

// Unicode White_Space (Rust's \s).
bool isWhiteSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// Rust's \w: Alphabetic, marks, decimal digits, connector punctuation, joiners.
bool isWordCharacter(std::string_view character) {
  static const Regex word =
      Regex::compile("[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200c}\\x{200d}]").take();
  return word.fullMatch(character);
}

bool endsWithWord(std::string_view s) {
  if (s.empty())
    return false;
  size_t start = previousCodePoint(s, s.size());
  return isWordCharacter(s.substr(start));
}

bool startsWithWord(std::string_view s) {
  return !s.empty() && isWordCharacter(s.substr(0, codePointAt(s, 0).second));
}

} // namespace

void AddedTokens::Trie::insert(const std::string &content, int32_t token) {
  int32_t node = 0;
  for (char ch : content) {
    auto byte = static_cast<unsigned char>(ch);
    auto &children = nodes[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, INT32_MIN));
    if (it != children.end() && it->first == byte) {
      node = it->second;
      continue;
    }
    int32_t child = static_cast<int32_t>(nodes.size());
    children.insert(it, {byte, child});
    nodes.emplace_back(); // invalidates `children`; not used again
    node = child;
  }
  nodes[node].token = token;
  firstBytes[static_cast<unsigned char>(content[0])] = true;
}

std::pair<int32_t, size_t> AddedTokens::Trie::longestAt(std::string_view text, size_t pos) const {
  std::pair<int32_t, size_t> best{-1, 0};
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    const auto &children = nodes[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, INT32_MIN));
    if (it == children.end() || it->first != byte)
      break;
    node = it->second;
    if (nodes[node].token >= 0)
      best = {nodes[node].token, i + 1 - pos};
  }
  return best;
}

AddedTokens AddedTokens::create(std::vector<AddedToken> tokens) {
  AddedTokens added;
  added.tokens_ = std::move(tokens);
  for (size_t i = 0; i < added.tokens_.size(); ++i) {
    const AddedToken &t = added.tokens_[i];
    (t.normalized ? added.normalized_ : added.raw_).insert(t.content, static_cast<int32_t>(i));
  }
  return added;
}

void AddedTokens::splitPass(const Trie &trie, std::string_view text,
                            std::vector<TextSegment> &out) const {
  size_t startOffset = 0; // end of the last token taken
  size_t pos = 0;         // where the automaton looks for the next match
  while (pos < text.size()) {
    if (!trie.firstBytes[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    auto [index, length] = trie.longestAt(text, pos);
    if (index < 0) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + length;
    pos = stop; // a discarded match still consumes its text, as the automaton's iterator does
    const AddedToken &token = tokens_[index];
    if (token.singleWord) {
      bool spaceBefore = start == 0 || !endsWithWord(text.substr(0, start));
      bool spaceAfter = stop == text.size() || !startsWithWord(text.substr(stop));
      if (!spaceBefore || !spaceAfter)
        continue;
    }
    if (token.lstrip) {
      size_t newStart = start;
      while (newStart > 0) {
        size_t previous = previousCodePoint(text, newStart);
        if (!isWhiteSpace(codePointAt(text, previous).first))
          break;
        newStart = previous;
      }
      // Whitespace an earlier token already took stays with it.
      start = std::max(newStart, startOffset);
    }
    if (token.rstrip)
      while (stop < text.size()) {
        auto [c, size] = codePointAt(text, stop);
        if (!isWhiteSpace(c))
          break;
        stop += size;
      }
    if (startOffset < start)
      out.push_back({text.substr(startOffset, start - startOffset), -1});
    out.push_back({text.substr(start, stop - start), token.id});
    startOffset = stop;
  }
  if (startOffset < text.size())
    out.push_back({text.substr(startOffset), -1});
}

void AddedTokens::split(std::string_view text, std::vector<TextSegment> &segments) const {
  segments.clear();
  if (tokens_.empty()) {
    segments.push_back({text, -1});
    return;
  }
  std::vector<TextSegment> first;
  splitPass(raw_, text, first);
  for (const TextSegment &s : first) {
    if (s.id >= 0)
      segments.push_back(s);
    else
      splitPass(normalized_, s.text, segments);
  }
}

} // namespace slimtune
