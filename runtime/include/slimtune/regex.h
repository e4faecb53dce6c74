// Regular expressions with Python `re` semantics for the patterns PEFT configs hold
// (target_modules, exclude_modules, rank_pattern, ...), through PCRE2.
#ifndef SLIMTUNE_REGEX_H
#define SLIMTUNE_REGEX_H

#include "slimtune/status.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace slimtune {

class Regex {
public:
  // Errors read "invalid regular expression \"(\": missing closing parenthesis at offset 1".
  static Expected<Regex> compile(const std::string &pattern);

  // re.fullmatch(pattern, text)
  bool fullMatch(std::string_view text) const;
  // re.match(pattern, text): anchored at the start only. Returns capture group `group` (or
  // the whole match for 0) when it matches.
  std::optional<std::string> matchPrefix(std::string_view text, int group = 0) const;
  const std::string &pattern() const { return pattern_; }

private:
  std::string pattern_;
  std::shared_ptr<void> code_; // pcre2_code_8
};

} // namespace slimtune

#endif // SLIMTUNE_REGEX_H
