// PCRE2-backed regular expressions. PCRE2's syntax agrees with Python's re for the patterns
// PEFT configs use (classes, groups, alternation, anchors, \d, quantifiers).
#include "slimtune/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace slimtune {

Expected<Regex> Regex::compile(const std::string &pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF, &error, &offset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return Status::error("invalid regular expression \"" + pattern + "\": " +
                         reinterpret_cast<const char *>(message) + " at offset " +
                         std::to_string(offset));
  }
  Regex regex;
  regex.pattern_ = pattern;
  regex.code_ = std::shared_ptr<void>(code, [](void *c) { pcre2_code_free(static_cast<pcre2_code *>(c)); });
  return regex;
}

namespace {
// Bounds on backtracking: module names are short, so a pattern that needs more than this
// (catastrophic backtracking) is treated as not matching instead of hanging.
pcre2_match_context *limits() {
  static pcre2_match_context *context = [] {
    pcre2_match_context *c = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(c, 100000);
    pcre2_set_depth_limit(c, 1000);
    return c;
  }();
  return context;
}

// Runs a match; returns the match data on success (caller frees), else null.
pcre2_match_data *run(const void *code, std::string_view text, uint32_t options) {
  auto *c = static_cast<const pcre2_code *>(code);
  pcre2_match_data *data = pcre2_match_data_create_from_pattern(c, nullptr);
  int rc = pcre2_match(c, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, options,
                       data, limits());
  if (rc < 0) {
    pcre2_match_data_free(data);
    return nullptr;
  }
  return data;
}
} // namespace

bool Regex::fullMatch(std::string_view text) const {
  pcre2_match_data *data = run(code_.get(), text, PCRE2_ANCHORED | PCRE2_ENDANCHORED);
  pcre2_match_data_free(data);
  return data != nullptr;
}

std::optional<std::string> Regex::matchPrefix(std::string_view text, int group) const {
  pcre2_match_data *data = run(code_.get(), text, PCRE2_ANCHORED);
  if (!data)
    return std::nullopt;
  std::optional<std::string> result;
  PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(data);
  if (static_cast<uint32_t>(group) < pcre2_get_ovector_count(data) &&
      ovector[2 * group] != PCRE2_UNSET)
    result = std::string(text.substr(ovector[2 * group], ovector[2 * group + 1] - ovector[2 * group]));
  pcre2_match_data_free(data);
  return result;
}

} // namespace slimtune
