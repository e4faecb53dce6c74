// Oniguruma-compatible pattern matching on PCRE2. The rewrite covers the escapes and POSIX
// classes whose meaning differs between the two engines in UTF mode; the others (\p{L}, \p{N},
// \d, ...) agree on every character of Unicode 14, the version PCRE2 10.42 ships (tokenizers'
// Oniguruma has Unicode 16: characters assigned since may be classed differently).
#include "tokenizer/tokenizer_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>

namespace slimtune {
namespace {

// Oniguruma's \s is Unicode White_Space; PCRE2's also holds U+180E.
constexpr const char *kSpaceSet =
    "\\t\\n\\x{0b}\\f\\r\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}"
    "\\x{202f}\\x{205f}\\x{3000}";
// Oniguruma's \w: alphabetic characters, marks, decimal digits, connector punctuation, and
// (its own quirk) the Latin-1 superscripts and fractions; PCRE2's is letters, numbers and '_'.
constexpr const char *kWordSet =
    "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{b2}\\x{b3}\\x{b9}\\x{bc}-\\x{be}";
// Oniguruma's \h is a hexadecimal digit; PCRE2's is horizontal space.
constexpr const char *kHexSet = "0-9a-fA-F";

size_t utf8Length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

std::string set(const char *inner, bool negated) {
  return std::string(negated ? "[^" : "[") + inner + "]";
}

bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Oniguruma's POSIX bracket classes as PCRE2 class contents (checked code point by code point
// against tokenizers' Oniguruma); [:graph:] and [:print:] have no such simple equivalent.
const char *posixClass(std::string_view name) {
  static const std::pair<std::string_view, const char *> classes[] = {
      {"alnum", "\\p{Alphabetic}\\p{Nd}"},
      {"alpha", "\\p{Alphabetic}"},
      {"blank", "\\t\\x{20}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{202f}\\x{205f}\\x{3000}"},
      {"cntrl", "\\p{Cc}"},
      {"digit", "\\p{Nd}"},
      {"lower", "\\p{Lowercase}"},
      {"punct", "\\p{P}\\p{S}"},
      {"space", kSpaceSet},
      {"upper", "\\p{Uppercase}"},
      {"xdigit", kHexSet},
      {"word", kWordSet},
  };
  for (const auto &[n, set] : classes)
    if (n == name)
      return set;
  return nullptr;
}

} // namespace

Expected<std::string> onigurumaToPcre2(const std::string &pattern) {
  std::string out;
  out.reserve(pattern.size() * 2);
  bool inClass = false;
  size_t i = 0, n = pattern.size();
  auto copyChar = [&] {
    size_t len = std::min(utf8Length(static_cast<unsigned char>(pattern[i])), n - i);
    out.append(pattern, i, len);
    i += len;
  };
  while (i < n) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < n) {
      char e = pattern[i + 1];
      i += 2;
      std::string word = set(kWordSet, false), nonWord = set(kWordSet, true);
      switch (e) {
      case 's': out += inClass ? kSpaceSet : set(kSpaceSet, false); break;
      case 'S': out += inClass ? "\\S\\x{180e}" : set(kSpaceSet, true); break;
      case 'w': out += inClass ? kWordSet : word; break;
      case 'h': out += inClass ? kHexSet : set(kHexSet, false); break;
      case 'W':
      case 'H':
        if (inClass) // a complement cannot join a class's union
          return Status::error("invalid regular expression \"" + pattern + "\": \\" + e +
                               " inside a character class is not supported");
        out += e == 'W' ? nonWord : set(kHexSet, true);
        break;
      case 'u': // Oniguruma's \uHHHH
        if (i + 4 <= n && isHex(pattern[i]) && isHex(pattern[i + 1]) && isHex(pattern[i + 2]) &&
            isHex(pattern[i + 3])) {
          out += "\\x{" + pattern.substr(i, 4) + "}";
          i += 4;
        } else {
          out += "\\u"; // PCRE2 refuses it, as it should
        }
        break;
      case 'v': out += "\\x{0b}"; break;
      case 'C': // Oniguruma's \C-x control escape; PCRE2's \C matches one byte of a character
        return Status::error("invalid regular expression \"" + pattern +
                             "\": \\C is not supported");
      case 'b':
        out += inClass ? "\\b"
                       : "(?:(?<=" + word + ")(?!" + word + ")|(?<!" + word + ")(?=" + word + "))";
        break;
      case 'B':
        out += inClass ? "\\B"
                       : "(?:(?<=" + word + ")(?=" + word + ")|(?<!" + word + ")(?!" + word + "))";
        break;
      case 'Q': { // literal text up to \E
        size_t end = pattern.find("\\E", i);
        size_t stop = end == std::string::npos ? n : end;
        out += "\\Q";
        out.append(pattern, i, stop - i);
        out += "\\E";
        i = end == std::string::npos ? n : end + 2;
        break;
      }
      case 'c': // \cX: X is data, whatever it is
        out += "\\c";
        if (i < n)
          copyChar();
        break;
      default:
        out += '\\';
        --i;
        copyChar(); // the escaped character, whole if it is multi-byte
      }
      continue;
    }
    if (!inClass && c == '[') {
      inClass = true;
      out += c;
      ++i;
      if (i < n && pattern[i] == '^')
        out += pattern[i++];
      if (i < n && pattern[i] == ']') // a leading ']' is a literal
        out += pattern[i++];
      continue;
    }
    if (inClass && c == '[') {
      if (i + 1 < n && pattern[i + 1] == ':') { // POSIX class such as [:alpha:]
        size_t end = pattern.find(":]", i + 2);
        if (end != std::string::npos) {
          std::string name = pattern.substr(i + 2, end - i - 2);
          const char *set = posixClass(name);
          if (!set)
            return Status::error("invalid regular expression \"" + pattern + "\": [:" + name +
                                 ":] is not supported");
          out += set;
          i = end + 2;
          continue;
        }
      }
      return Status::error("invalid regular expression \"" + pattern +
                           "\": nested character classes are not supported");
    }
    if (inClass && c == '&' && i + 1 < n && pattern[i + 1] == '&')
      return Status::error("invalid regular expression \"" + pattern +
                           "\": character class intersections (&&) are not supported");
    if (inClass && c == ']')
      inClass = false;
    copyChar();
  }
  return out;
}

namespace {
std::shared_ptr<void> compileCode(const std::string &original, const std::string &translated,
                                  Status &status) {
  pcre2_compile_context *context = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(context, PCRE2_NEWLINE_LF);
  int error = 0;
  PCRE2_SIZE offset = 0;
  // No \C: a match ending inside a character would cut the text into invalid UTF-8, which
  // later steps match with PCRE2_NO_UTF_CHECK.
  uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE | PCRE2_NEVER_BACKSLASH_C;
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()),
                                   translated.size(), options, &error, &offset, context);
  pcre2_compile_context_free(context);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    // Offsets are in the rewritten pattern; they match the original's when nothing was
    // rewritten, which is the common case for hand-written mistakes.
    status = Status::error("invalid regular expression \"" + original + "\": " +
                           reinterpret_cast<const char *>(message) +
                           (translated == original ? " at offset " + std::to_string(offset) : ""));
    return nullptr;
  }
  // Without a JIT (or on failure) pcre2_match interprets: slower, same results.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return std::shared_ptr<void>(code, [](void *c) { pcre2_code_free(static_cast<pcre2_code *>(c)); });
}
} // namespace

Expected<TokenizerRegex> TokenizerRegex::compile(const std::string &pattern) {
  SLIMTUNE_TRY(translated, onigurumaToPcre2(pattern));
  Status status;
  TokenizerRegex regex;
  regex.pattern_ = pattern;
  regex.code_ = compileCode(pattern, translated, status);
  if (!regex.code_)
    return status;
  return regex;
}

Expected<TokenizerRegex> TokenizerRegex::literal(const std::string &text) {
  // Escape every ASCII punctuation character; letters, digits and non-ASCII bytes are literal.
  std::string escaped;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !std::isalnum(u))
      escaped += '\\';
    escaped += c;
  }
  Status status;
  TokenizerRegex regex;
  regex.pattern_ = text;
  regex.code_ = compileCode(text, escaped, status);
  if (!regex.code_)
    return status;
  return regex;
}

//===-- Matching ------------------------------------------------------------------===//

struct RegexScratch::State {
  pcre2_match_data *data = nullptr;
  pcre2_match_context *context = nullptr;
  pcre2_jit_stack *jitStack = nullptr;
};

RegexScratch::RegexScratch() : state_(std::make_unique<State>()) {
  state_->data = pcre2_match_data_create(1, nullptr);
  state_->context = pcre2_match_context_create(nullptr);
  // Bounds on backtracking so that a pathological pattern gives an error, not a hang; real
  // pre-tokenizer patterns use a few steps per character.
  pcre2_set_match_limit(state_->context, 10'000'000);
  pcre2_set_depth_limit(state_->context, 100'000);
  state_->jitStack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
  if (state_->jitStack)
    pcre2_jit_stack_assign(state_->context, nullptr, state_->jitStack);
}

RegexScratch::~RegexScratch() {
  pcre2_jit_stack_free(state_->jitStack);
  pcre2_match_context_free(state_->context);
  pcre2_match_data_free(state_->data);
}

Status TokenizerRegex::findAll(std::string_view subject, RegexScratch &scratch,
                               std::vector<RegexMatch> &matches) const {
  matches.clear();
  auto *code = static_cast<const pcre2_code *>(code_.get());
  RegexScratch::State &s = scratch.state();
  const auto *text = reinterpret_cast<PCRE2_SPTR>(subject.data());
  size_t n = subject.size();
  size_t searchFrom = 0;
  bool matchedBefore = false;
  size_t lastMatchEnd = 0;
  while (searchFrom <= n) {
    int rc = pcre2_match(code, text, n, searchFrom, PCRE2_NO_UTF_CHECK, s.data, s.context);
    if (rc == PCRE2_ERROR_NOMATCH)
      break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof(message));
      return Status::error("regular expression \"" + pattern_ + "\": " +
                           reinterpret_cast<const char *>(message));
    }
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(s.data);
    size_t begin = ovector[0], end = ovector[1];
    if (begin > end) // only \K inside a lookaround does this; PCRE2 refuses it by default
      return Status::error("regular expression \"" + pattern_ + "\": match ends before it starts");
    if (begin == end && matchedBefore && lastMatchEnd == end) {
      // The onig crate's rule against looping on empty matches: step one character on.
      searchFrom += searchFrom < n ? utf8Length(subject[searchFrom]) : 1;
      continue;
    }
    matches.push_back({begin, end});
    searchFrom = end;
    lastMatchEnd = end;
    matchedBefore = true;
  }
  return Status::ok();
}

} // namespace slimtune
