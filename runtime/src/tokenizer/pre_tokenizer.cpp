// Pre-tokenizer steps. A Split first lists the parts of a piece (matches and the text between
// them, covering it), then regroups them by its behavior, as tokenizers' NormalizedString::split
// does; empty parts are dropped.
#include "tokenizer/pre_tokenizer.h"

#include <algorithm>

namespace slimtune {

const char *const kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

namespace {

struct Part {
  size_t begin, end;
  bool flag; // while listing: is a match; after regrouping: is removed
};

// tokenizers' Pattern::find_matches: the parts of `piece`, matches flagged.
void listParts(size_t size, const std::vector<RegexMatch> &matches, bool invert,
               std::vector<Part> &parts) {
  parts.clear();
  size_t previous = 0;
  for (const RegexMatch &m : matches) {
    if (previous != m.begin)
      parts.push_back({previous, m.begin, invert});
    parts.push_back({m.begin, m.end, !invert});
    previous = m.end;
  }
  if (previous != size)
    parts.push_back({previous, size, invert});
}

// Regroups parts by `behavior`; afterwards `flag` says whether a part is removed.
void regroup(SplitBehavior behavior, std::vector<Part> &parts) {
  std::vector<Part> grouped;
  bool previousMatch = false;
  switch (behavior) {
  case SplitBehavior::Isolated:
    for (Part &p : parts)
      p.flag = false;
    return;
  case SplitBehavior::Removed:
    return;
  case SplitBehavior::Contiguous:
    for (const Part &p : parts) {
      if (p.flag == previousMatch && !grouped.empty())
        grouped.back().end = p.end;
      else
        grouped.push_back({p.begin, p.end, false});
      previousMatch = p.flag;
    }
    break;
  case SplitBehavior::MergedWithPrevious:
    for (const Part &p : parts) {
      if (p.flag && !previousMatch && !grouped.empty())
        grouped.back().end = p.end;
      else
        grouped.push_back({p.begin, p.end, false});
      previousMatch = p.flag;
    }
    break;
  case SplitBehavior::MergedWithNext:
    for (auto p = parts.rbegin(); p != parts.rend(); ++p) {
      if (p->flag && !previousMatch && !grouped.empty())
        grouped.back().begin = p->begin;
      else
        grouped.push_back({p->begin, p->end, false});
      previousMatch = p->flag;
    }
    std::reverse(grouped.begin(), grouped.end());
    break;
  }
  parts = std::move(grouped);
}

Status splitPiece(const TokenizerRegex &regex, SplitBehavior behavior, bool invert,
                  std::string_view piece, PreTokenizerScratch &scratch,
                  std::vector<std::string_view> &out) {
  if (Status s = regex.findAll(piece, scratch.regex, scratch.matches); !s)
    return s;
  if (behavior == SplitBehavior::Isolated) { // the common case, without the part list
    size_t previous = 0;
    for (const RegexMatch &m : scratch.matches) {
      if (previous != m.begin)
        out.push_back(piece.substr(previous, m.begin - previous));
      if (m.begin != m.end)
        out.push_back(piece.substr(m.begin, m.end - m.begin));
      previous = m.end;
    }
    if (previous != piece.size())
      out.push_back(piece.substr(previous));
    return Status::ok();
  }
  std::vector<Part> parts;
  listParts(piece.size(), scratch.matches, invert, parts);
  regroup(behavior, parts);
  for (const Part &p : parts)
    if (!p.flag && p.begin != p.end)
      out.push_back(piece.substr(p.begin, p.end - p.begin));
  return Status::ok();
}

std::shared_ptr<const TokenizerRegex> share(TokenizerRegex regex) {
  return std::make_shared<const TokenizerRegex>(std::move(regex));
}

const char *behaviorName(SplitBehavior b) {
  switch (b) {
  case SplitBehavior::Removed: return "Removed";
  case SplitBehavior::Isolated: return "Isolated";
  case SplitBehavior::MergedWithPrevious: return "MergedWithPrevious";
  case SplitBehavior::MergedWithNext: return "MergedWithNext";
  case SplitBehavior::Contiguous: return "Contiguous";
  }
  return "?";
}

} // namespace

Expected<PreTokenizerStep> PreTokenizerStep::split(const std::string &pattern, bool literal,
                                                   SplitBehavior behavior, bool invert) {
  PreTokenizerStep step;
  step.kind = Kind::Split;
  step.pattern = pattern;
  step.literal = literal;
  step.behavior = behavior;
  step.invert = invert;
  SLIMTUNE_TRY(regex, literal ? TokenizerRegex::literal(pattern) : TokenizerRegex::compile(pattern));
  step.regex = share(std::move(regex));
  return step;
}

Expected<PreTokenizerStep> PreTokenizerStep::digits(bool individualDigits) {
  PreTokenizerStep step;
  step.kind = Kind::Digits;
  step.individualDigits = individualDigits;
  // Digits splits on Rust's char::is_numeric (Nd, Nl, No), each digit alone or runs merged
  // (Contiguous); as a pattern that is \p{N} or \p{N}+, isolated.
  SLIMTUNE_TRY(regex, TokenizerRegex::compile(individualDigits ? "\\p{N}" : "\\p{N}+"));
  step.regex = share(std::move(regex));
  return step;
}

Expected<PreTokenizerStep> PreTokenizerStep::byteLevel(bool addPrefixSpace, bool useRegex) {
  PreTokenizerStep step;
  step.kind = Kind::ByteLevel;
  step.addPrefixSpace = addPrefixSpace;
  step.useRegex = useRegex;
  if (useRegex) {
    SLIMTUNE_TRY(regex, TokenizerRegex::compile(kGpt2Pattern));
    step.regex = share(std::move(regex));
  }
  return step;
}

Expected<PreTokenizer> PreTokenizer::create(std::vector<PreTokenizerStep> steps) {
  auto isByteLevel = [](const PreTokenizerStep &s) { return s.kind == PreTokenizerStep::Kind::ByteLevel; };
  auto count = std::count_if(steps.begin(), steps.end(), isByteLevel);
  if (count == 0)
    return Status::error("the pre-tokenizer has no ByteLevel step (slimtune supports byte-level BPE only)");
  if (count > 1)
    return Status::error("the pre-tokenizer has " + std::to_string(count) +
                         " ByteLevel steps; slimtune supports one");
  if (!isByteLevel(steps.back()))
    return Status::error("the pre-tokenizer's ByteLevel step is not its last; steps after it "
                         "would see the byte-level alphabet, which slimtune does not support");
  PreTokenizer p;
  p.steps_ = std::move(steps);
  return p;
}

Status PreTokenizer::split(std::string_view segment, PreTokenizerScratch &scratch,
                           std::vector<std::string_view> &words) const {
  std::vector<std::string_view> pieces{segment};
  for (const PreTokenizerStep &step : steps_) {
    bool last = &step == &steps_.back();
    std::vector<std::string_view> &out = last ? words : scratch.next;
    if (!last)
      out.clear();
    for (std::string_view piece : pieces) {
      if (step.kind == PreTokenizerStep::Kind::ByteLevel) {
        if (step.addPrefixSpace && piece.front() != ' ')
          piece = scratch.owned.emplace_back(" " + std::string(piece));
        if (!step.useRegex) {
          out.push_back(piece);
          continue;
        }
      }
      if (Status s = splitPiece(*step.regex, step.behavior, step.invert, piece, scratch, out); !s)
        return s;
    }
    if (!last)
      pieces.swap(scratch.next);
  }
  return Status::ok();
}

std::string PreTokenizer::describe() const {
  std::string d;
  for (const PreTokenizerStep &s : steps_) {
    switch (s.kind) {
    case PreTokenizerStep::Kind::Split:
      d += std::string("Split ") + (s.literal ? "String " : "Regex ") +
           std::to_string(s.pattern.size()) + ":" + s.pattern + " " + behaviorName(s.behavior) +
           (s.invert ? " inverted" : "") + "\n";
      break;
    case PreTokenizerStep::Kind::Digits:
      d += std::string("Digits") + (s.individualDigits ? " individual" : "") + "\n";
      break;
    case PreTokenizerStep::Kind::ByteLevel:
      d += std::string("ByteLevel") + (s.addPrefixSpace ? " prefix-space" : "") +
           (s.useRegex ? " gpt2-regex" : "") + "\n";
      break;
    }
  }
  return d;
}

} // namespace slimtune
