// libFuzzer target: the text document reader on arbitrary bytes, read as a fortune file
// (separator "%"), as paragraphs (blank lines) and as JSON Lines. No document is empty.
#include "slimtune/data.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {
void read(std::string_view text, const char *name, const char *separator) {
  auto documents = slimtune::parseTextDocuments(text, name, separator);
  if (!documents)
    return;
  for (const std::string &d : *documents)
    if (d.empty())
      std::abort();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  read(text, "fuzz.txt", "%");
  read(text, "fuzz.txt", "");
  read(text, "fuzz.jsonl", "");
  return 0;
}
