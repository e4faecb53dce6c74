// Regular expressions as Hugging Face `tokenizers` runs them (Oniguruma, through the `onig`
// crate), on PCRE2 with UTF + UCP and JIT: pre-tokenizer patterns (Split, the ByteLevel
// regex, Digits) and the "find every match" loop they are used with.
#ifndef SLIMTUNE_TOKENIZER_TOKENIZER_REGEX_H
#define SLIMTUNE_TOKENIZER_TOKENIZER_REGEX_H

#include "slimtune/status.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace slimtune {

// Per-call matching state (match data, JIT stack): one per encode() call, so that a const
// tokenizer can be used from several threads.
class RegexScratch {
public:
  RegexScratch();
  ~RegexScratch();
  RegexScratch(const RegexScratch &) = delete;
  RegexScratch &operator=(const RegexScratch &) = delete;
  struct State;
  State &state() { return *state_; }

private:
  std::unique_ptr<State> state_;
};

struct RegexMatch {
  size_t begin, end; // byte offsets in the subject
};

class TokenizerRegex {
public:
  // `pattern` in Oniguruma syntax; it is rewritten where PCRE2 reads the same escape or POSIX
  // class differently (\s, \S, \w, \W, \b, \B, \h, \H, \v, \uHHHH, [:alpha:], ...) and
  // compiled with ^/$ as line anchors (Oniguruma's default). Errors read
  // `invalid regular expression "(": missing closing parenthesis at offset 1`.
  static Expected<TokenizerRegex> compile(const std::string &pattern);
  // A literal string (Split's {"String": ...} pattern).
  static Expected<TokenizerRegex> literal(const std::string &text);

  // Every match in `subject` (valid UTF-8) in the order the onig crate's find_iter yields
  // them: leftmost first, and an empty match right where the previous match ended is skipped
  // by moving on one character. Errors only when a match exceeds PCRE2's backtracking limits.
  Status findAll(std::string_view subject, RegexScratch &scratch,
                 std::vector<RegexMatch> &matches) const;

  const std::string &pattern() const { return pattern_; }

private:
  std::string pattern_;          // as given
  std::shared_ptr<void> code_;   // pcre2_code_8, JIT-compiled when PCRE2 has a JIT
};

// The rewrite compile() applies, exposed for tests. Refuses what PCRE2 cannot express the
// Oniguruma way (nested classes, intersections with &&, \W or \H inside a class, [:graph:]),
// and \C (Oniguruma's control escape; PCRE2 would match single bytes of a character).
Expected<std::string> onigurumaToPcre2(const std::string &pattern);

} // namespace slimtune

#endif // SLIMTUNE_TOKENIZER_TOKENIZER_REGEX_H
